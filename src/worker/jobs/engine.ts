/** Starting the tensor engine and loading a model for a job, with the same notes the CLI printed in-process. */
import type { BackendName } from '../../shared/contracts.ts';
import { selectBackend } from '../engine/backend.ts';
import { loadModel } from '../model/load.ts';
import { loadTokenizer } from '../model/tokenizer.ts';
import type { JobContext } from './context.ts';

/** Selects the backend (per job: the app may switch between jobs) and returns its name. */
export async function startEngine(backend: BackendName, context: JobContext): Promise<string> {
  const selected = await selectBackend(backend);
  context.log(`backend: ${selected.name} (${selected.reason})`);
  return selected.name;
}

export function loadModelAndTokenizer(folder: string, context: JobContext) {
  const tokenizer = loadTokenizer(folder);
  context.log(`loading ${folder}`);
  return { ...loadModel(folder), tokenizer };
}
