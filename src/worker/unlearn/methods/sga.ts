/**
 * `sga`: smoothed gradient ascent (seed 001; ALGORITHMS.md gives our reading of the abstract).
 * Generalized label smoothing over K classes — the forget sequence and its K − 1 nearest retain
 * sequences (neighbours.ts; by the model's mean hidden state unless `neighbours: "tokens"`) —
 * with rate r:
 *
 *     L = −[(1 − r + r/K)·ℓ(θ; x_f) + (r/K)·Σ_k ℓ(θ; x_n^k)]
 *
 * r = 0 is plain GA; r < 0 descends on the normal sequences. The paper fixes r per run, so a
 * fixed r is the default. `rate: "auto"` is its optimal-rate derivation used once: before
 * training, r* = −⟨ḡ_f, v̄⟩/‖v̄‖² with v = (1/K)·Σ_k(∇ℓ_n^k − g_f), the rate minimizing
 * ‖ḡ_f + r·v̄‖², where ḡ_f and v̄ are averaged over the first RATE_ESTIMATE_MICRO_BATCHES
 * micro-batches the run trains on (epoch 0 in its seeded order), each with its own neighbours;
 * clamped to [−1, 1] and then fixed for the run. It is logged once (onLog) and as every step's
 * `extra.rate`.
 *
 * Resume: `prepare` runs on the starting weights — the trainer restores a checkpoint only
 * afterwards, inside `train` — and the neighbours and r* are pure functions of those weights,
 * the data and the config, which the checkpoint's fingerprint pins. A resumed run therefore
 * derives the same r* as the interrupted one (on the same backend) instead of storing it.
 */
import * as tf from '@tensorflow/tfjs';
import { UserInputError } from '../../../shared/errors.ts';
import type { CausalLM } from '../../model/architectures/types.ts';
import { disposeBatch, makeBatch, type Batch, type TokenSequence } from '../batch.ts';
import type { RunConfig } from '../config.ts';
import { meanNll } from '../losses.ts';
import type { UnlearningMethod } from '../method.ts';
import { nearestRetain } from '../neighbours.ts';
import { planBatches } from '../schedule.ts';
import { allParameters } from './shared.ts';

/**
 * Micro-batches `rate: "auto"` averages its one-step gradients over (fewer when epoch 0 has
 * fewer): at batch size 4, 16 forget sequences, for the cost of K·4 forward-backward passes.
 */
export const RATE_ESTIMATE_MICRO_BATCHES = 4;

export const sga: UnlearningMethod = {
  name: 'sga',
  summary:
    'smoothed gradient ascent: label smoothing with similar retain documents keeps ascent stable',
  needsRetain: true,
  keys: ['rate', 'k', 'neighbours'],
  async prepare({ model, forget, retain, config, onProgress, onLog }) {
    const K = config.k;
    if (retain.length < K - 1)
      throw new UserInputError(
        undefined,
        `sga with k = ${K} needs at least ${K - 1} retain sequences as normal sequences; the retain set has ${retain.length}`,
      );
    onProgress?.(`sga: normal sequences by ${config.neighbours}`, 0, 1);
    const neighbours = await nearestRetain(
      model,
      forget,
      retain,
      K - 1,
      config.neighbours,
      config.batchSize,
    );
    onProgress?.(`sga: normal sequences by ${config.neighbours}`, 1, 1);
    /** K − 1 batches: row b of batch k is the k-th neighbour of forget row `rows[b]`. */
    const normalFor = (rows: readonly number[]): Batch[] =>
      Array.from({ length: K - 1 }, (_, k) =>
        makeBatch(
          retain,
          rows.map((r) => neighbours[r]![k]!),
        ),
      );
    let rate: number;
    if (config.rate === 'auto') {
      const rows = estimateRows(config, forget.length, retain.length);
      rate = await optimalRate(model, forget, rows, normalFor, K);
      onLog?.(
        `sga: rate "auto" estimated once before training: r* = ${rate} from ${rows.length} micro-batches (${rows.flat().length} forget sequences); fixed for the run`,
      );
    } else rate = config.rate;
    let normal: Batch[] = [];

    return {
      trainable: allParameters(model),
      async beforeMicroBatch(input) {
        normal.forEach(disposeBatch);
        normal = normalFor(input.forget.rows);
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

/** The forget rows of the run's first RATE_ESTIMATE_MICRO_BATCHES micro-batches (epoch 0). */
export function estimateRows(
  config: RunConfig,
  forgetCount: number,
  retainCount: number,
): number[][] {
  const plan = planBatches(config, forgetCount, retainCount);
  const rows: number[][] = [];
  for (let step = 0; step < plan.stepsPerEpoch && rows.length < RATE_ESTIMATE_MICRO_BATCHES; step++)
    for (const micro of plan.microBatches(step)) rows.push(micro.forget);
  return rows.slice(0, RATE_ESTIMATE_MICRO_BATCHES);
}

/**
 * r* = −⟨Σ_b g_f,b, Σ_b v_b⟩/‖Σ_b v_b‖² over the micro-batches `rows` (sums, not means: the
 * ratio is the same), clamped to [−1, 1]; 0 when v vanishes. Gradients at the current weights.
 */
async function optimalRate(
  model: CausalLM,
  forget: readonly TokenSequence[],
  rows: readonly (readonly number[])[],
  normalFor: (rows: readonly number[]) => Batch[],
  K: number,
): Promise<number> {
  const variables = [...model.params.values()];
  const gradient = (batch: Batch): tf.Tensor[] => {
    const { grads, value } = tf.variableGrads(() => meanNll(model, batch), variables);
    value.dispose();
    return variables.map((v) => grads[v.name]!);
  };
  /** sum + scale·add, elementwise; disposes the old sum (not `add`). */
  const accumulate = (sum: tf.Tensor[] | null, add: tf.Tensor[], scale: number) => {
    const next = add.map((g, i) => tf.tidy(() => (sum ? sum[i]!.add(g.mul(scale)) : g.mul(scale))));
    if (sum) tf.dispose(sum);
    return next;
  };
  let gf: tf.Tensor[] | null = null; // Σ_b g_f,b
  let v: tf.Tensor[] | null = null; // Σ_b v_b, v_b = (1/K)·Σ_k g_n,b^k − ((K − 1)/K)·g_f,b
  for (const micro of rows) {
    const batch = makeBatch(forget, micro);
    const normal = normalFor(micro);
    try {
      const g = gradient(batch);
      gf = accumulate(gf, g, 1);
      v = accumulate(v, g, -(K - 1) / K);
      tf.dispose(g);
      for (const n of normal) {
        const gn = gradient(n);
        v = accumulate(v, gn, 1 / K);
        tf.dispose(gn);
      }
    } finally {
      disposeBatch(batch);
      normal.forEach(disposeBatch);
    }
  }
  const sums = tf.tidy(() =>
    tf.stack([
      tf.addN(gf!.map((g, i) => g.mul(v![i]!).sum())),
      tf.addN(v!.map((x) => x.square().sum())),
    ]),
  );
  const [dot, square] = (await sums.data()) as Float32Array;
  tf.dispose([sums, ...gf!, ...v!]);
  return square === 0 ? 0 : Math.max(-1, Math.min(1, -dot! / square!));
}
