/**
 * `inspect`: what a model folder is, read from its files alone (no tensors are built), so it is
 * fast even for multi-gigabyte checkpoints. Shapes are checked against config.json first.
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import type { InspectReport } from '../../shared/contracts.ts';
import { loadModelSpec } from '../model/config.ts';
import { Checkpoint } from '../model/safetensors/index.ts';
import { checkCheckpointShapes, isBlockLinearWeight, isBuffer } from '../model/weight-names.ts';

const DTYPE_NAMES = { F32: 'float32', F16: 'float16', BF16: 'bfloat16' } as const;

export async function inspectModel(folder: string): Promise<InspectReport> {
  const spec = loadModelSpec(folder);
  const checkpoint = Checkpoint.open(folder);
  try {
    checkCheckpointShapes(spec, checkpoint);
    let parameters = 0;
    let linearElements = 0;
    let linearZeros = 0;
    for (const name of checkpoint.names) {
      if (isBuffer(name)) continue;
      const entry = checkpoint.entry(name)!;
      const elements = entry.shape.reduce((a, b) => a * b, 1);
      parameters += elements;
      if (isBlockLinearWeight(name)) {
        linearElements += elements;
        linearZeros += countZeros(checkpoint.readFloat32(name));
      }
    }
    const dtype = checkpoint.dominantDtype();
    return {
      architecture: spec.modelType,
      parameters,
      layers: spec.layers,
      hidden: spec.hidden,
      vocab: spec.vocabSize,
      dtype: dtype in DTYPE_NAMES ? DTYPE_NAMES[dtype as keyof typeof DTYPE_NAMES] : 'float32',
      sparsity: linearElements === 0 ? 0 : linearZeros / linearElements,
      sha256: await hashFiles(checkpoint.files),
    };
  } finally {
    checkpoint.close();
  }
}

function countZeros(values: Float32Array): number {
  let zeros = 0;
  for (let i = 0; i < values.length; i++) if (values[i] === 0) zeros++;
  return zeros;
}

/** sha256 over the weight files' bytes, concatenated in file-name order (DESIGN.md §5). */
export async function hashFiles(files: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of [...files].sort()) {
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  }
  return hash.digest('hex');
}
