/**
 * Teacher-forced token statistics of a set of token sequences under a model, in one forward pass
 * per batch: everything the per-token metrics need (ALGORITHMS.md "Metrics": `meanNll`,
 * `exactMemorization`, `extractionStrength`, `mia.loss`/`zlib`/`minK`/`minKpp`/`reference`).
 *
 * For a sequence x_0 … x_{n−1} and each target position t = 1 … n−1 (entry t − 1 of each array):
 *   logProbs       log p(x_t | x_<t)
 *   argmaxCorrect  argmax_v p(v | x_<t) = x_t (ties go to the lowest id, as tf.argMax)
 *   mu, sigma      μ_t = Σ_v p_v log p_v and σ_t = sqrt(Σ_v p_v (log p_v − μ_t)²) of the
 *                  model's distribution at that position (Min-K%++)
 *
 * Sequences are batched by length (to waste little on padding), right-padded to the batch's
 * longest, and put back in input order. Right padding never reaches a real position of a causal
 * model, so a sequence's statistics do not depend on what it is batched with (up to float
 * rounding). Per batch one (B, T, V) logits tensor is made; it is freed once its log-softmax
 * exists, and every (B, T, V) temporary after it is freed at its last use, so at most three
 * (B, T, V) float tensors are alive at once (log p, p and one product). Only (B, T) results
 * are read back.
 */
import * as tf from '@tensorflow/tfjs';
import type { CausalLM } from '../model/architectures/types.ts';
import type { VocabMoments } from './formulas/mia-scores.ts';

export interface TokenStats {
  /** The sequence as given. */
  readonly tokenIds: readonly number[];
  /** log p(x_t | x_<t), t = 1 … n−1 (length max(n − 1, 0)). */
  readonly logProbs: number[];
  /** Whether the model's most likely next token is x_t. */
  readonly argmaxCorrect: boolean[];
  /** μ_t = Σ_v p_v log p_v. */
  readonly mu: number[];
  /** σ_t = sqrt(Σ_v p_v (log p_v − μ_t)²). */
  readonly sigma: number[];
}

export interface TokenStatsOptions {
  /** Sequences per forward pass (default 8). */
  readonly batchSize?: number;
  /** Called after each batch with the number of sequences done and the total. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** Padding id for the right-padded inputs and targets (never read at real positions). */
const PAD_ID = 0;

/** The (μ_t, σ_t) pairs of a sequence, as `minKppScore` takes them. */
export function momentsOf(stats: {
  readonly mu: readonly number[];
  readonly sigma: readonly number[];
}): VocabMoments[] {
  return stats.mu.map((mu, t) => ({ mu, sigma: stats.sigma[t] as number }));
}

/**
 * Token statistics of each sequence (see the module comment), in input order. Sequences must
 * fit the model's positions (chunk longer ones first, e.g. with `chunkTokens`); a sequence of
 * fewer than two tokens has empty arrays. Leaves `tf.memory().numTensors` as it found it.
 */
export async function computeTokenStats(
  model: CausalLM,
  sequences: readonly (readonly number[])[],
  options: TokenStatsOptions = {},
): Promise<TokenStats[]> {
  const batchSize = options.batchSize ?? 8;
  if (!(Number.isInteger(batchSize) && batchSize >= 1)) {
    throw new Error(`token stats: batchSize must be a positive integer, got ${batchSize}`);
  }
  const { vocabSize, maxPositions, slidingWindow } = model.spec;
  const limit = Math.min(maxPositions, slidingWindow ?? Infinity);
  sequences.forEach((ids, i) => {
    if (ids.length > limit) {
      throw new Error(
        `token stats: sequence ${i} has ${ids.length} tokens, more than the model's ${limit} positions`,
      );
    }
    for (const id of ids) {
      if (!(Number.isInteger(id) && id >= 0 && id < vocabSize)) {
        throw new Error(`token stats: sequence ${i} has token id ${id}, outside [0, ${vocabSize})`);
      }
    }
  });

  const results: TokenStats[] = sequences.map((ids) => ({
    tokenIds: ids,
    logProbs: [],
    argmaxCorrect: [],
    mu: [],
    sigma: [],
  }));
  // Longest first, so each batch pads to about its own length; short ones need no forward pass.
  const order = sequences
    .map((ids, i) => ({ i, n: ids.length }))
    .filter(({ n }) => n >= 2)
    .sort((a, b) => b.n - a.n || a.i - b.i)
    .map(({ i }) => i);
  let done = sequences.length - order.length;
  for (let start = 0; start < order.length; start += batchSize) {
    const batch = order.slice(start, start + batchSize);
    const rows = batch.map((i) => sequences[i] as readonly number[]);
    const stats = await batchStats(model, rows);
    batch.forEach((i, b) => {
      results[i] = { tokenIds: sequences[i] as readonly number[], ...(stats[b] as RowStats) };
    });
    done += batch.length;
    options.onProgress?.(done, sequences.length);
  }
  return results;
}

type RowStats = Omit<TokenStats, 'tokenIds'>;

/** One forward pass over `rows` (each ≥ 2 tokens). */
async function batchStats(
  model: CausalLM,
  rows: readonly (readonly number[])[],
): Promise<RowStats[]> {
  const B = rows.length;
  const T = Math.max(...rows.map((r) => r.length)) - 1; // input positions
  const inputs = new Int32Array(B * T).fill(PAD_ID);
  const targets = new Int32Array(B * T).fill(PAD_ID);
  rows.forEach((row, b) => {
    for (let t = 0; t + 1 < row.length; t++) {
      inputs[b * T + t] = row[t] as number;
      targets[b * T + t] = row[t + 1] as number;
    }
  });

  // (4, B, T): log-prob of the target, argmax = target (0/1), μ, σ.
  const packed = tf.tidy(() => {
    const input = tf.tensor2d(inputs, [B, T], 'int32');
    const target = tf.tensor2d(targets, [B, T], 'int32');
    const logits = model.logits(input); // (B, T, V)
    const logZ = tf.logSumExp(logits, -1, true); // (B, T, 1)
    const V = logits.shape[2];

    // Target logit by a gather at flat indices (b·T + t)·V + x: no (B, T, V) one-hot. (tf.gather
    // with batchDims crashes the wasm kernel.)
    const flatLogits = logits.reshape([-1]);
    const picked = tf.gather(flatLogits, flatIndices(targets, V)).reshape([B, T]);
    const logProb = tf.sub(picked, logZ.squeeze([2])); // (B, T)
    const correct = tf.cast(tf.equal(tf.argMax(logits, -1), target), 'float32'); // (B, T)

    // Moments, two passes (as `vocabMoments`), freeing each (B, T, V) tensor after its last use.
    const logp = tf.sub(logits, logZ); // (B, T, V)
    flatLogits.dispose();
    logits.dispose();
    const p = tf.exp(logp); // (B, T, V)
    const mu = sumLast(tf.mul(p, logp)); // (B, T)
    const centred = tf.sub(logp, mu.expandDims(-1)); // (B, T, V)
    logp.dispose();
    const squared = tf.square(centred);
    centred.dispose();
    const variance = sumLast(tf.mul(p, squared)); // (B, T)
    squared.dispose();
    p.dispose();
    const sigma = tf.sqrt(tf.relu(variance));
    return tf.stack([logProb, correct, mu, sigma]);
  });
  let values: Float32Array;
  try {
    values = (await packed.data()) as Float32Array;
  } finally {
    packed.dispose();
  }

  const plane = B * T;
  return rows.map((row, b) => {
    const n = row.length - 1;
    const slice = (k: number) =>
      Array.from(values.subarray(k * plane + b * T, k * plane + b * T + n));
    return {
      logProbs: slice(0),
      argmaxCorrect: slice(1).map((v) => v > 0.5),
      mu: slice(2),
      sigma: slice(3),
    };
  });
}

/** Flat index (i·V + target_i) of each target in the flattened (B, T, V) logits. */
function flatIndices(targets: Int32Array, V: number): tf.Tensor1D {
  if (targets.length * V > 2 ** 31 - 1) {
    throw new Error(
      `token stats: a batch of ${targets.length} positions × ${V} vocabulary entries is too large; lower batchSize`,
    );
  }
  return tf.tensor1d(
    targets.map((x, i) => i * V + x),
    'int32',
  );
}

/** Σ over the last axis of a (B, T, V) temporary, which it frees. */
function sumLast(x: tf.Tensor): tf.Tensor {
  const s = tf.sum(x, -1);
  x.dispose();
  return s;
}
