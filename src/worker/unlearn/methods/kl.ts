/**
 * `kl`: −ℓ(θ; D_f) + α·KL(p_ref ‖ p_θ) over the retain tokens. The reference distribution
 * depends on the retain batch, so θ_ref is a frozen copy of the weights evaluated per step (its
 * logits carry no gradient); this doubles the weights' memory.
 */
import * as tf from '@tensorflow/tfjs';
import { klToReference, meanNll } from '../losses.ts';
import type { UnlearningMethod } from '../method.ts';
import { frozenCopy } from '../reference.ts';
import { allParameters, retainOf } from './shared.ts';

export const kl: UnlearningMethod = {
  name: 'kl',
  summary: 'ascent on the forget set, staying close to the original model on the retain set (KL)',
  needsRetain: true,
  keys: ['alpha'],
  async prepare({ model, config }) {
    const reference = frozenCopy(model);
    return {
      trainable: allParameters(model),
      loss(input) {
        const retain = retainOf(input, 'kl');
        const forgetNll = meanNll(model, input.forget);
        const refLogits = tf.tidy(() => reference.logits(retain.ids)); // (B, T, V), constant
        const divergence = klToReference(model, retain, refLogits);
        const total = forgetNll.neg().add(divergence.mul(config.alpha)) as tf.Scalar;
        return { total, terms: { forgetNll, kl: divergence } };
      },
      dispose: () => reference.dispose(),
    };
  },
};
