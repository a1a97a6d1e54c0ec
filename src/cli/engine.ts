/** Starts the tensor engine for a command and loads what it needs, reporting on stderr. */
import { selectBackend } from '../worker/engine/backend.ts';
import { loadModelSpec } from '../worker/model/config.ts';
import { loadModel } from '../worker/model/load.ts';
import { loadTokenizer } from '../worker/model/tokenizer.ts';
import type { GlobalOptions } from './command.ts';
import type { Progress } from './progress.ts';

/** `wasmTensorBytes`: the work's estimated tensors on wasm, which auto weighs (engine/backend.ts). */
export async function startEngine(
  global: GlobalOptions,
  progress: Progress,
  wasmTensorBytes?: number,
): Promise<string> {
  const backend = await selectBackend(
    global.backend,
    wasmTensorBytes === undefined ? {} : { wasmTensorBytes },
  );
  progress.note(`backend: ${backend.name} (${backend.reason})`);
  return backend.name;
}

export async function loadModelAndTokenizer(folder: string, progress: Progress) {
  const tokenizer = loadTokenizer(folder, loadModelSpec(folder).vocabSize);
  progress.note(`loading ${folder}`);
  const loaded = await loadModel(folder);
  return { ...loaded, tokenizer };
}
