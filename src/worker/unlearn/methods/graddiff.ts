/** `graddiff`: γ·(−ℓ(θ; D_f)) + α·ℓ(θ; D_r) — ascend on the forget set, descend on the retain set. */
import type { UnlearningMethod } from '../method.ts';
import { allParameters, gradDiffLoss } from './shared.ts';

export const graddiff: UnlearningMethod = {
  name: 'graddiff',
  summary: 'gradient difference: ascent on the forget set, descent on the retain set',
  needsRetain: true,
  keys: ['alpha', 'gamma'],
  async prepare({ model, config }) {
    return {
      trainable: allParameters(model),
      loss: (input) => gradDiffLoss(model, input, config, 'graddiff'),
      dispose() {},
    };
  },
};
