/**
 * A Hugging Face model folder → a ready `CausalLM` on the current tfjs backend: config.json
 * normalized to a spec, weights checked against it and read one tensor at a time.
 */
import { architectureFor, createRandomModel } from './architectures/index.ts';
import type { CausalLM } from './architectures/types.ts';
import { loadModelSpec, type ModelSpec } from './config.ts';
import { Checkpoint, type FloatDtype } from './safetensors/index.ts';
import { loadParams } from './weights.ts';

export interface LoadedModel {
  readonly spec: ModelSpec;
  readonly model: CausalLM;
  readonly checkpoint: {
    /** Weight files in name order. */
    readonly files: readonly string[];
    /** Storage dtype of most of the weights (tfjs computes in float32 regardless). */
    readonly dtype: FloatDtype;
    /** Tensors in the files that the model does not use (not counting known buffers). */
    readonly unused: readonly string[];
  };
}

/** Throws `UserInputError` naming the file for a bad config, missing tensor or wrong shape. */
export function loadModel(folder: string): LoadedModel {
  const spec = loadModelSpec(folder);
  const architecture = architectureFor(spec.family);
  const checkpoint = Checkpoint.open(folder);
  try {
    const { params, dtype, unused } = loadParams(checkpoint, spec, architecture);
    const model = architecture.build(spec, params);
    return { spec, model, checkpoint: { files: checkpoint.files, dtype, unused } };
  } finally {
    checkpoint.close();
  }
}

export { createRandomModel };
