/** θ_ref: a frozen copy of the model before unlearning, for the KL method's per-step terms. */
import * as tf from '@tensorflow/tfjs';
import { architectureFor } from '../model/architectures/index.ts';
import type { CausalLM } from '../model/architectures/types.ts';

/** Same architecture and weights, in non-trainable variables of its own (2× the weights' memory). */
export function frozenCopy(model: CausalLM): CausalLM {
  const params = new Map<string, tf.Variable>();
  for (const [name, v] of model.params) params.set(name, tf.variable(v, false));
  return architectureFor(model.spec.family).build(model.spec, params);
}
