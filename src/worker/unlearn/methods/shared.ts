/** Small pieces the method modules share. */
import * as tf from '@tensorflow/tfjs';
import type { CausalLM } from '../../model/architectures/types.ts';
import type { Batch } from '../batch.ts';
import type { RunConfig } from '../config.ts';
import { jointMeanNll } from '../losses.ts';
import type { LossTerms, StepInput } from '../method.ts';

/** The retain batch of a method that needs one (the trainer guarantees it; this names the bug if not). */
export function retainOf(input: StepInput, method: string): Batch {
  if (input.retain === null) throw new Error(`${method}: the trainer gave no retain batch`);
  return input.retain;
}

/** GradDiff: γ·(−ℓ(θ; D_f)) + α·ℓ(θ; D_r), both terms from one forward pass. */
export function gradDiffLoss(
  model: CausalLM,
  input: StepInput,
  config: RunConfig,
  method: string,
): LossTerms {
  const [forgetNll, retainNll] = jointMeanNll(model, input.forget, retainOf(input, method));
  const total = forgetNll.mul(-config.gamma).add(retainNll.mul(config.alpha)) as tf.Scalar;
  return { total, terms: { forgetNll, retainNll } };
}

/** Every model parameter, the default set a method trains. */
export const allParameters = (model: CausalLM) => model.params;
