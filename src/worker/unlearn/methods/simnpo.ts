/** `simnpo`: γ·(−(2/β)·log σ(−(β/|x_f|)·log π_θ(x_f) − βδ)) + α·ℓ(θ; D_r) — NPO without a reference model. */
import type * as tf from '@tensorflow/tfjs';
import { meanNll, simNpoLoss } from '../losses.ts';
import type { UnlearningMethod } from '../method.ts';
import { allParameters, retainOf } from './shared.ts';

export const simnpo: UnlearningMethod = {
  name: 'simnpo',
  summary: 'simple NPO: length-normalized, reference-free preference loss on the forget set',
  needsRetain: true,
  keys: ['alpha', 'gamma', 'beta', 'delta'],
  // open-unlearning's configs/trainer/SimNPO.yaml (its TOFU setting): β 4.5, δ 0, γ 0.125, α 1.
  defaults: { beta: 4.5, delta: 0, gamma: 0.125 },
  async prepare({ model, config }) {
    return {
      trainable: allParameters(model),
      loss(input) {
        const forgetSimNpo = simNpoLoss(model, input.forget, config.beta, config.delta);
        const retainNll = meanNll(model, retainOf(input, 'simnpo'));
        const total = forgetSimNpo.mul(config.gamma).add(retainNll.mul(config.alpha)) as tf.Scalar;
        return { total, terms: { simnpo: forgetSimNpo, retainNll } };
      },
      dispose() {},
    };
  },
};
