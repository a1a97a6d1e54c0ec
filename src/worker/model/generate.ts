/**
 * Greedy decoding with a key/value cache: the prompt is run once, then each new token costs one
 * position of attention over the cached keys and values instead of a pass over the whole prefix.
 * Token for token the same as re-running the full sequence and taking the argmax (tested).
 *
 * Decoding is batched: rows go through the model together, one decode step per position for all
 * of them. A decode step of a large model is bound by reading its weights, so B rows cost little
 * more than one. Prompts of different lengths are left-padded to the longest: each row's padding
 * keys are masked and its positions count from its first real token (createCache's
 * `leftPadding`), so each row is its own greedy decoding (rows never attend to each other),
 * equal to decoding it alone up to float summation order in the batched products.
 * Only the last position's logits are computed (`decodeNext`), never (B, T, V) for a prompt.
 */
import * as tf from '@tensorflow/tfjs';
import type { CausalLM } from './architectures/types.ts';

/** One greedy continuation to produce. */
export interface GenerationRequest {
  readonly prompt: readonly number[];
  readonly maxNewTokens: number;
  /** Tokens that end the continuation; the stop token is kept (as HF `generate` keeps EOS). */
  readonly stopIds?: readonly number[];
}

export interface GenerateManyOptions {
  /** At most this many rows per batched decoding (default `DECODE_ROWS`). */
  readonly batchSize?: number;
  /** Called after each batch with the requests done and the total. */
  readonly onProgress?: (done: number, total: number) => void;
}

/** The token id under the left padding: never attended to, so any id in range. */
const PAD_ID = 0;

/**
 * Rows decoded together, at most. A decode step reads every weight once whatever the rows, so
 * the rows share that read: at the 0.5B shape a step of 32 rows took 0.53 s (the products at
 * 83 GFLOP/s, bound by memory), and the products only become bound by arithmetic above about
 * a hundred rows.
 */
export const DECODE_ROWS = 128;

/**
 * Prompt tokens one batch may prefill (rows × its longest prompt, padding included): the
 * prefill's intermediates grow with them (inference frees each block's when it returns, so
 * one block's at a time: at the 0.5B shape, 160 MB per (tokens × 4864) MLP tensor at this many).
 */
export const PREFILL_TOKENS = 8192;

/**
 * Consecutive batches of `order` (request indices, shortest prompt first): each at most `rows`
 * rows and, past its first row, at most `PREFILL_TOKENS` of left-padded prompt.
 */
export function decodeBatches(
  order: readonly number[],
  promptLength: (request: number) => number,
  rows: number,
): number[][] {
  const batches: number[][] = [];
  let start = 0;
  while (start < order.length) {
    let end = start + 1;
    while (
      end < order.length &&
      end - start < rows &&
      (end - start + 1) * promptLength(order[end]!) <= PREFILL_TOKENS
    )
      end++;
    batches.push(order.slice(start, end));
    start = end;
  }
  return batches;
}

/** Positions a continuation may reach: the model's, and its sliding window (attention is full). */
function positionLimit(model: CausalLM): number {
  return Math.min(model.spec.maxPositions, model.spec.slidingWindow ?? Infinity);
}

/**
 * The new tokens after `promptIds`, at most `maxNewTokens`, ending with the stop token when one
 * is produced. Stops early, too, at the model's `max_position_embeddings` / `n_positions` or its
 * sliding window. Ties go to the lowest token id.
 */
export async function greedyGenerate(
  model: CausalLM,
  promptIds: readonly number[],
  maxNewTokens: number,
  stopIds: readonly number[] = [],
): Promise<number[]> {
  if (promptIds.length === 0)
    throw new RangeError('greedyGenerate needs at least one prompt token');
  const [out] = await decodeRows(model, [{ prompt: promptIds, maxNewTokens, stopIds }]);
  return out!;
}

/**
 * Every request's greedy continuation, in input order: requests are sorted by prompt length
 * (the least padding) and decoded in batches of up to `batchSize` rows and `PREFILL_TOKENS`
 * prompt tokens (`decodeBatches`), each row as `greedyGenerate` would. Grouping by exact length
 * instead left PII probes, whose prompts have many lengths, in batches of one or two rows.
 */
export async function greedyGenerateMany(
  model: CausalLM,
  requests: readonly GenerationRequest[],
  options: GenerateManyOptions = {},
): Promise<number[][]> {
  const batchSize = options.batchSize ?? DECODE_ROWS;
  if (!(Number.isInteger(batchSize) && batchSize >= 1))
    throw new RangeError(
      `greedyGenerateMany: batchSize must be a positive integer, got ${batchSize}`,
    );
  if (requests.some((r) => r.prompt.length === 0))
    throw new RangeError('greedyGenerateMany needs at least one prompt token per request');
  const out: number[][] = requests.map(() => []);
  const order = [...requests.keys()].sort(
    (a, b) => requests[a]!.prompt.length - requests[b]!.prompt.length || a - b,
  );
  let done = 0;
  for (const rows of decodeBatches(order, (i) => requests[i]!.prompt.length, batchSize)) {
    const generated = await decodeRows(
      model,
      rows.map((i) => requests[i]!),
    );
    rows.forEach((i, r) => (out[i] = generated[r]!));
    done += rows.length;
    options.onProgress?.(done, requests.length);
  }
  return out;
}

/**
 * Greedy continuations of requests as one batch, prompts left-padded to the longest: decodes
 * until every row has its budget or its stop token, then cuts each row to its own.
 */
async function decodeRows(
  model: CausalLM,
  requests: readonly GenerationRequest[],
): Promise<number[][]> {
  const B = requests.length;
  const P = Math.max(...requests.map((r) => r.prompt.length));
  const padding = requests.map((r) => P - r.prompt.length);
  const limit = positionLimit(model);
  const budgets = requests.map((r) =>
    Math.max(0, Math.min(r.maxNewTokens, limit - r.prompt.length)),
  );
  const stops = requests.map((r) => new Set(r.stopIds ?? []));
  const out: number[][] = requests.map(() => []);
  const finished = budgets.map((b) => b === 0);
  if (finished.every(Boolean)) return out;
  const cache = model.createCache(padding);
  let input = tf.tensor2d(
    requests.flatMap((r, i) => [...new Array<number>(padding[i]!).fill(PAD_ID), ...r.prompt]),
    [B, P],
    'int32',
  ); // (B, P), right-aligned
  try {
    for (;;) {
      const next = tf.tidy(() => model.decodeNext(input, cache).argMax(1)); // (B)
      input.dispose();
      const tokens = Array.from(await next.data());
      next.dispose();
      tokens.forEach((token, r) => {
        if (finished[r]) return;
        out[r]!.push(token);
        if (stops[r]!.has(token) || out[r]!.length >= budgets[r]!) finished[r] = true;
      });
      if (finished.every(Boolean)) return out;
      input = tf.tensor2d(tokens, [B, 1], 'int32'); // (B, 1)
    }
  } finally {
    input.dispose();
    cache.dispose();
  }
}
