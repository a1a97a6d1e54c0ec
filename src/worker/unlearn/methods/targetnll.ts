/**
 * `targetnll`: γ·mean_i max(0, τ − ℓ(x_f,i)) + α·ℓ(θ; D_r) — raise each forget sequence's mean
 * token NLL ℓ(x_f,i) up to a target τ and no further, descend on the retain set.
 *
 * The aim is the state of a model that never saw the forget documents, not the highest loss on
 * them: unbounded ascent over-unlearns, and an attacker then recognises the forget set by its
 * *high* loss. τ is the loss of documents the model never saw — `targetNll` in the config, or
 * else the mean per-sequence NLL of the run's calibration documents (`MethodContext.calibration`,
 * held-out documents of the same kind, never trained on) under the model before training,
 * measured once in `prepare`. A sequence above τ contributes no gradient.
 * When to stop is calibrated mode's decision (calibrated.ts), as for every method.
 */
import * as tf from '@tensorflow/tfjs';
import { UserInputError } from '../../../shared/errors.ts';
import type { CausalLM } from '../../model/architectures/types.ts';
import { valuesPerSequence, type Batch, type TokenSequence } from '../batch.ts';
import { meanNll, targetCounts } from '../losses.ts';
import type { UnlearningMethod } from '../method.ts';
import { allParameters, retainOf } from './shared.ts';

/** ℓ(x) per row: the mean NLL of each sequence's real targets, (B). */
export function rowMeanNll(model: CausalLM, batch: Batch): tf.Tensor1D {
  const lengths = tf.maximum(targetCounts(batch), 1); // (B)
  return model.sequenceNll(batch.ids, batch.mask).div(lengths); // (B)
}

/** max(0, τ − ℓ(x_i)) averaged over the rows. */
export function targetNllLoss(model: CausalLM, batch: Batch, target: number): tf.Scalar {
  return tf.relu(tf.scalar(target).sub(rowMeanNll(model, batch))).mean() as tf.Scalar;
}

/** Why a run without calibration documents or `targetNll` is refused, and what to do. */
export const CALIBRATION_NEEDED =
  'targetnll needs the loss of documents the model never saw: give held-out documents of the same kind with `nepenthe unlearn … --calibration <path>`, or set "targetNll" in the config';

/** ℓ(x) of each of `sequences` under `model` as it is now, in order. */
export async function sequenceNlls(
  model: CausalLM,
  sequences: readonly TokenSequence[],
  batchSize: number,
): Promise<number[]> {
  return Array.from(await valuesPerSequence(sequences, batchSize, (b) => rowMeanNll(model, b)));
}

const mean = (values: readonly number[]): number =>
  values.reduce((sum, v) => sum + v, 0) / values.length;

export const targetnll: UnlearningMethod = {
  name: 'targetnll',
  summary:
    'target NLL: raise the forget set’s loss to that of documents never seen, and no further',
  needsRetain: true,
  needsCalibration: (config) => config.targetNll === null,
  keys: ['alpha', 'gamma', 'targetNll'],
  defaults: { lr: 3e-4, epochs: 40, alpha: 16 },
  calibratedLr: 3e-4,
  async prepare({ model, config, calibration, onProgress }) {
    const held = calibration ?? [];
    let target = config.targetNll;
    if (target === null) {
      if (held.length === 0) throw new UserInputError(undefined, CALIBRATION_NEEDED);
      onProgress?.('target NLL from the calibration documents', 0, 1);
      target = mean(await sequenceNlls(model, held, config.batchSize));
      onProgress?.('target NLL from the calibration documents', 1, 1);
    }
    const tau = target;
    return {
      trainable: allParameters(model),
      loss(input) {
        const forgetTerm = targetNllLoss(model, input.forget, tau);
        const retainNll = meanNll(model, retainOf(input, 'targetnll'));
        const total = forgetTerm.mul(config.gamma).add(retainNll.mul(config.alpha)) as tf.Scalar;
        return { total, terms: { belowTarget: forgetTerm, retainNll } };
      },
      stepLog: () => ({ targetNll: tau }),
      dispose() {},
    };
  },
};
