export * from './documents.ts';
export * from './identifiers.ts';
export * from './people.ts';
export * from './splits.ts';
export * from './probes.ts';
