/**
 * The architectures by family. Adding one: a module declaring its parameters and block over
 * `TransformerLM`, a `ModelSpec` family for it in ../config.ts, and an entry here.
 */
import * as tf from '@tensorflow/tfjs';
import type { ArchitectureFamily, ModelSpec } from '../config.ts';
import { gpt2 } from './gpt2.ts';
import { llama } from './llama.ts';
import { internalShape, type Architecture, type CausalLM } from './types.ts';

const ARCHITECTURES: ReadonlyMap<string, Architecture> = new Map(
  [gpt2, llama].map((a) => [a.family, a]),
);

export function architectureFor(family: ArchitectureFamily): Architecture {
  const architecture = ARCHITECTURES.get(family);
  if (!architecture) {
    throw new Error(
      `no architecture for family "${family}"; known: ${[...ARCHITECTURES.keys()].join(', ')}`,
    );
  }
  return architecture;
}

export type { Architecture, CausalLM, ExportedTensor, KvCache, ParamSpec } from './types.ts';
export { internalShape };

/** HF's `initializer_range` default: N(0, 0.02) for weight matrices and embeddings. */
const INIT_STD = 0.02;

/**
 * A model of `spec`'s shape with random weights (benchmarks, tests): N(0, 0.02) matrices, zero
 * biases, unit norms. Same spec and seed give the same weights on every backend (tfjs draws
 * random numbers on the CPU).
 */
export function createRandomModel(spec: ModelSpec, seed: number): CausalLM {
  const architecture = architectureFor(spec.family);
  const params = new Map<string, tf.Variable>();
  architecture.parameters(spec).forEach((p, i) => {
    const shape = internalShape(p);
    const initial =
      p.init === 'ones'
        ? tf.ones(shape)
        : p.init === 'zeros'
          ? tf.zeros(shape)
          : tf.randomNormal(shape, 0, INIT_STD, 'float32', seed * 7919 + i);
    params.set(p.name, tf.variable(initial));
    initial.dispose(); // the variable holds its own reference to the data
  });
  return architecture.build(spec, params);
}
