/**
 * Writing a complete Hugging Face model folder for a changed model (pruned, unlearned): the
 * source folder's config and tokenizer files copied, the weights written in the source's
 * storage dtype. Everything goes to `<out>.partial` first and is renamed at the end, so a
 * crash or bad input never leaves a half-written model at `out`.
 */
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { UserInputError } from '../../shared/errors.ts';
import type { CausalLM } from './architectures/types.ts';
import { INDEX_FILE, writeCheckpoint, type FloatDtype } from './safetensors/index.ts';

/** Files of the source folder that are not weights: config, tokenizer, generation config. */
function isCarriedOver(file: string): boolean {
  return !file.endsWith('.safetensors') && file !== INDEX_FILE && !file.endsWith('.partial');
}

/** Refuses an `out` that already holds something: results never overwrite a folder silently. */
export function checkOutputFolder(out: string): void {
  if (existsSync(out) && (!statSync(out).isDirectory() || readdirSync(out).length > 0))
    throw new UserInputError(
      out,
      'already exists and is not empty; choose another --out or remove it',
    );
  if (!existsSync(dirname(out)))
    throw new UserInputError(out, `its parent folder ${dirname(out)} does not exist`);
}

/** The staging folder beside `out` (same file system, so the final rename is atomic). */
export function stagingFolder(out: string): string {
  return join(dirname(out), `.${basename(out)}.partial`);
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

/** Moves the finished `staged` folder to `out` (which must not exist or be empty). */
export function publishFolder(staged: string, out: string): void {
  if (existsSync(out)) rmSync(out, { recursive: true }); // empty, per checkOutputFolder
  renameSync(staged, out);
}
