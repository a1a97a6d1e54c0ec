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
 * rounding). The model computes the statistics from its final hidden states
 * (`CausalLM.nextTokenStats`: on the native kernels in chunks, never the (B, T, V) logits); only
 * the (B·T, 4) results
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

  // (B*T, 4): log-prob of the target, argmax = target (0/1), μ, σ.
  const packed = tf.tidy(() =>
    model.nextTokenStats(
      tf.tensor2d(inputs, [B, T], 'int32'),
      tf.tensor2d(targets, [B, T], 'int32'),
    ),
  );
  let values: Float32Array;
  try {
    values = (await packed.data()) as Float32Array;
  } finally {
    packed.dispose();
  }

  return rows.map((row, b) => {
    const n = row.length - 1;
    const column = (k: number) =>
      Array.from({ length: n }, (_, t) => values[(b * T + t) * 4 + k] as number);
    return {
      logProbs: column(0),
      argmaxCorrect: column(1).map((v) => v > 0.5),
      mu: column(2),
      sigma: column(3),
    };
  });
}
