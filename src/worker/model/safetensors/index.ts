export { Checkpoint, INDEX_FILE, SINGLE_FILE } from './checkpoint.ts';
export { SafetensorsFile } from './file.ts';
export type { TensorEntry, SafetensorsHeader } from './header.ts';
export { writeCheckpoint, writeSafetensors, type TensorToWrite } from './writer.ts';
export * from './dtype.ts';
