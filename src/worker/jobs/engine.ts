/** Starting the tensor engine and loading a model for a job, with the same notes the CLI printed in-process. */
import type { BackendName } from '../../shared/contracts.ts';
import { selectBackend } from '../engine/backend.ts';
import { loadModelSpec } from '../model/config.ts';
import { loadModel } from '../model/load.ts';
import { wasmEvalTensorBytes } from '../tasks/preflight.ts';
import { loadTokenizer } from '../model/tokenizer.ts';
import type { JobContext } from './context.ts';

/**
 * Selects the backend (per job: the app may switch between jobs) and returns its name.
 * `wasmTensorBytes`: the job's estimated tensors on wasm, which auto weighs (engine/backend.ts).
 */
export async function startEngine(
  backend: BackendName,
  context: JobContext,
  wasmTensorBytes?: number,
): Promise<string> {
  const selected = await selectBackend(
    backend,
    wasmTensorBytes === undefined ? {} : { wasmTensorBytes },
  );
  context.log(`backend: ${selected.name} (${selected.reason})`);
  return selected.name;
}

/** An evaluation job's estimated tensors on wasm (the model at `folder`, `maxLength` tokens). */
export function evalTensorBytes(folder: string, maxLength = 1024): number {
  return wasmEvalTensorBytes(loadModelSpec(folder), maxLength);
}

export function loadModelAndTokenizer(folder: string, context: JobContext) {
  const tokenizer = loadTokenizer(folder, loadModelSpec(folder).vocabSize);
  context.log(`loading ${folder}`);
  return { ...loadModel(folder), tokenizer };
}
