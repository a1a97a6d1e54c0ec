/**
 * `sga`: smoothed gradient ascent (seed 001; ALGORITHMS.md gives our reading of the abstract).
 * Generalized label smoothing over K classes — the forget sequence and its K − 1 nearest retain
 * sequences (neighbours.ts) — with rate r:
 *
 *     L = −[(1 − r + r/K)·ℓ(θ; x_f) + (r/K)·Σ_k ℓ(θ; x_n^k)]
 *
 * r = 0 is plain GA; r < 0 descends on the normal sequences. With `rate: "auto"`, r is set
 * before every micro-batch to r* = −⟨g_f, v⟩/‖v‖², v = (1/K)·Σ_k(∇ℓ_n^k − g_f), the rate
 * minimizing ‖g_f + r·v‖² for the one-step gradients, clamped to [−1, 1]; the rate used is
 * logged per step.
 */
import * as tf from '@tensorflow/tfjs';
import { UserInputError } from '../../../shared/errors.ts';
import { disposeBatch, makeBatch, type Batch } from '../batch.ts';
import { meanNll } from '../losses.ts';
import type { StepInput, UnlearningMethod } from '../method.ts';
import { nearestRetain } from '../neighbours.ts';
import { allParameters } from './shared.ts';

export const sga: UnlearningMethod = {
  name: 'sga',
  summary:
    'smoothed gradient ascent: label smoothing with similar retain documents keeps ascent stable',
  needsRetain: true,
  keys: ['rate', 'k'],
  async prepare({ model, forget, retain, config }) {
    const K = config.k;
    if (retain.length < K - 1)
      throw new UserInputError(
        undefined,
        `sga with k = ${K} needs at least ${K - 1} retain sequences as normal sequences; the retain set has ${retain.length}`,
      );
    const neighbours = nearestRetain(forget, retain, K - 1);
    let normal: Batch[] = []; // K − 1 batches: row b of batch k is the k-th neighbour of forget row b
    let rate = config.rate === 'auto' ? 0 : config.rate;
    const variables = [...model.params.values()];

    /** r* from one-step gradients of ℓ_f and each ℓ_n^k. */
    const automaticRate = (input: StepInput): number =>
      tf.tidy(() => {
        const gradient = (batch: Batch) => {
          const { grads, value } = tf.variableGrads(() => meanNll(model, batch), variables);
          value.dispose();
          return variables.map((v) => grads[v.name]!);
        };
        const gf = gradient(input.forget);
        const v = gf.map((g) => tf.zerosLike(g));
        for (const batch of normal) {
          const gn = gradient(batch);
          gn.forEach((g, i) => (v[i] = v[i]!.add(g.sub(gf[i]!).div(K))));
        }
        const dot = tf.addN(gf.map((g, i) => g.mul(v[i]!).sum())) as tf.Scalar;
        const square = tf.addN(v.map((x) => x.square().sum())) as tf.Scalar;
        const [d, s] = [dot.dataSync()[0]!, square.dataSync()[0]!];
        return s === 0 ? 0 : Math.max(-1, Math.min(1, -d / s));
      });

    return {
      trainable: allParameters(model),
      async beforeMicroBatch(input) {
        normal.forEach(disposeBatch);
        normal = Array.from({ length: K - 1 }, (_, k) =>
          makeBatch(
            retain,
            input.forget.rows.map((r) => neighbours[r]![k]!),
          ),
        );
        if (config.rate === 'auto') rate = automaticRate(input);
      },
      loss(input) {
        const forgetNll = meanNll(model, input.forget);
        const normalNll = normal.map((batch) => meanNll(model, batch));
        const smoothed = normalNll.reduce(
          (sum, l) => sum.add(l.mul(rate / K)),
          forgetNll.mul(1 - rate + rate / K),
        );
        const meanNormal = tf.addN(normalNll).div(normalNll.length) as tf.Scalar;
        return { total: smoothed.neg() as tf.Scalar, terms: { forgetNll, normalNll: meanNormal } };
      },
      extraTokens: () => normal.reduce((n, b) => n + b.tokens, 0),
      stepLog: () => ({ rate }),
      dispose() {
        normal.forEach(disposeBatch);
        normal = [];
      },
    };
  },
};
