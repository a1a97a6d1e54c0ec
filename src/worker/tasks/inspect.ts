/**
 * `inspect`: what a model folder is, read from its files alone (no tensors are built), so it is
 * fast even for multi-gigabyte checkpoints. Shapes are checked against config.json first.
 * Every parameter's stored bits are scanned (no widening) for NaN and ±Inf, as loading would:
 * a corrupt checkpoint is bad input here too (exit 2), not a report with a sha256 to trust.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { InspectReport } from '../../shared/contracts.ts';
import { loadModelSpec } from '../model/config.ts';
import { isBlockLinearWeight } from '../model/weight-names.ts';
import { readStoredParameters } from '../model/weights.ts';

const DTYPE_NAMES = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' } as const;

export async function inspectModel(folder: string): Promise<InspectReport> {
  const spec = loadModelSpec(folder);
  const scanned = readStoredParameters(folder, spec, ({ checkpoint, layout, keys }) => {
    let parameters = 0;
    let linearElements = 0;
    let linearZeros = 0;
    for (const p of layout) {
      const elements = p.shape.reduce((a, b) => a * b, 1);
      parameters += elements;
      const linear = isBlockLinearWeight(p.name);
      const zeros = checkpoint.scanFloats(keys.get(p.name)!, { zeros: linear });
      if (linear) {
        linearElements += elements;
        linearZeros += zeros;
      }
    }
    const dtype = checkpoint.dominantDtype();
    return {
      parameters,
      dtype: dtype in DTYPE_NAMES ? DTYPE_NAMES[dtype as keyof typeof DTYPE_NAMES] : 'float32',
      sparsity: linearElements === 0 ? 0 : linearZeros / linearElements,
      files: checkpoint.files,
    };
  });
  return {
    architecture: spec.modelType,
    parameters: scanned.parameters,
    layers: spec.layers,
    hidden: spec.hidden,
    vocab: spec.vocabSize,
    dtype: scanned.dtype,
    sparsity: scanned.sparsity,
    sha256: await hashFiles(scanned.files),
  };
}

/** sha256 over the weight files' bytes, concatenated in file-name order (DESIGN.md §5). */
export async function hashFiles(files: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of [...files].sort()) {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}

/**
 * The NaN/±Inf scan of `inspectModel` alone, over the parameters a load reads (stored bits, no
 * tensors built): `audit` runs it on its models before its run folder exists, so corrupt weights
 * are bad input that leaves nothing behind rather than a failed run folder.
 */
export function checkFiniteWeights(folder: string): void {
  readStoredParameters(folder, loadModelSpec(folder), ({ checkpoint, layout, keys }) => {
    for (const p of layout) checkpoint.scanFloats(keys.get(p.name)!, { zeros: false });
  });
}
