/**
 * `npo`: γ·(−(2/β)·log σ(−β·[log π_θ(x_f) − log π_ref(x_f)])) + α·ℓ(θ; D_r). log π_ref of every
 * forget sequence is computed once, before training (the formula needs nothing else of θ_ref).
 */
import * as tf from '@tensorflow/tfjs';
import { valuesPerSequence } from '../batch.ts';
import { meanNll, npoLoss, sequenceLogProb } from '../losses.ts';
import type { MethodContext, UnlearningMethod } from '../method.ts';
import { allParameters, retainOf } from './shared.ts';

/** log π_ref(x) of every forget sequence under the model as it is now, in set order. */
export async function referenceLogProbs({
  model,
  forget,
  config,
  onProgress,
}: MethodContext): Promise<Float32Array> {
  return valuesPerSequence(
    forget,
    config.batchSize,
    (batch) => sequenceLogProb(model, batch),
    (done) => onProgress?.('reference log-probabilities', done, forget.length),
  );
}

export const npo: UnlearningMethod = {
  name: 'npo',
  summary: 'negative preference optimization: bounded forgetting relative to the original model',
  needsRetain: true,
  keys: ['alpha', 'gamma', 'beta'],
  async prepare(context) {
    const { model, config } = context;
    const reference = await referenceLogProbs(context);
    return {
      trainable: allParameters(model),
      loss(input) {
        const refLogProb = tf.tensor1d(input.forget.rows.map((r) => reference[r]!)); // (B)
        const forgetNpo = npoLoss(model, input.forget, refLogProb, config.beta);
        const retainNll = meanNll(model, retainOf(input, 'npo'));
        const total = forgetNpo.mul(config.gamma).add(retainNll.mul(config.alpha)) as tf.Scalar;
        return { total, terms: { npo: forgetNpo, retainNll } };
      },
      dispose() {},
    };
  },
};
