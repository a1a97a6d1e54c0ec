/**
 * Writing a complete Hugging Face model folder for a changed model (pruned, unlearned): the
 * source folder's config and tokenizer files copied, the weights written in the source's
 * storage dtype. Callers write it into their staging folder and publish it with
 * OutputTarget (tasks/output-target.ts), so a crash or bad input never leaves a half-written
 * model at `out`.
 */
import { copyFileSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { CausalLM } from './architectures/types.ts';
import { INDEX_FILE, writeCheckpoint, type FloatDtype } from './safetensors/index.ts';

/** Files of the source folder that are not weights: config, tokenizer, generation config. */
function isCarriedOver(file: string): boolean {
  return !file.endsWith('.safetensors') && file !== INDEX_FILE && !file.endsWith('.partial');
}

/**
 * Writes `model` as an HF folder at `stagedModel` (inside the staging folder): copies the
 * source's non-weight files, then the weights in `dtype`. Files already there (an adapter/
 * folder) are kept.
 */
export async function writeModelFolder(
  source: string,
  stagedModel: string,
  model: CausalLM,
  dtype: FloatDtype,
): Promise<void> {
  mkdirSync(stagedModel, { recursive: true });
  for (const file of readdirSync(source)) {
    const from = join(source, file);
    if (statSync(from).isFile() && isCarriedOver(file)) copyFileSync(from, join(stagedModel, file));
  }
  writeCheckpoint(stagedModel, await model.exportWeights(), dtype);
}
