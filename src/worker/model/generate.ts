/**
 * Greedy decoding with a key/value cache: the prompt is run once, then each new token costs one
 * position of attention over the cached keys and values instead of a pass over the whole prefix.
 * Token for token the same as re-running the full sequence and taking the argmax (tested).
 */
import * as tf from '@tensorflow/tfjs';
import type { CausalLM } from './architectures/types.ts';

/**
 * The new tokens after `promptIds`, at most `maxNewTokens`, ending with the stop token when one
 * is produced (as HF `generate` keeps the EOS). Stops early, too, at the model's
 * `max_position_embeddings` / `n_positions` or its sliding window. Ties go to the lowest token id.
 */
export async function greedyGenerate(
  model: CausalLM,
  promptIds: readonly number[],
  maxNewTokens: number,
  stopIds: readonly number[] = [],
): Promise<number[]> {
  if (promptIds.length === 0)
    throw new RangeError('greedyGenerate needs at least one prompt token');
  // Attention is computed in full, which equals sliding-window attention only within the window.
  const limit = Math.min(model.spec.maxPositions, model.spec.slidingWindow ?? Infinity);
  const budget = Math.min(maxNewTokens, limit - promptIds.length);
  const out: number[] = [];
  if (budget <= 0) return out;
  const stop = new Set(stopIds);
  const cache = model.createCache();
  try {
    let input = tf.tensor2d([...promptIds], [1, promptIds.length], 'int32'); // (1, P)
    for (;;) {
      const next = tf.tidy(() => {
        const logits = model.decode(input, cache); // (1, T, V)
        const T = logits.shape[1];
        return logits
          .slice([0, T - 1, 0], [1, 1, -1])
          .reshape([-1])
          .argMax(); // ()
      });
      input.dispose();
      const token = (await next.data())[0]!;
      next.dispose();
      out.push(token);
      if (stop.has(token) || out.length >= budget) return out;
      input = tf.tensor2d([[token]], [1, 1], 'int32'); // (1, 1)
    }
  } finally {
    cache.dispose();
  }
}

/**
 * Greedy continuations of several prompts of the SAME length at once, `maxNewTokens` each (no
 * stop tokens: verbatim memorization compares fixed-length continuations). One batched decode
 * per position instead of one per prompt and position; each row is its own greedy decoding
 * (rows never attend to each other), so row i equals `greedyGenerate(model, prompts[i], n)` up
 * to float summation order in the batched products.
 */
export async function greedyGenerateBatch(
  model: CausalLM,
  prompts: readonly (readonly number[])[],
  maxNewTokens: number,
): Promise<number[][]> {
  if (prompts.length === 0) return [];
  const P = prompts[0]!.length;
  if (P === 0) throw new RangeError('greedyGenerateBatch needs at least one prompt token');
  if (prompts.some((p) => p.length !== P))
    throw new RangeError('greedyGenerateBatch needs prompts of one length');
  const limit = Math.min(model.spec.maxPositions, model.spec.slidingWindow ?? Infinity);
  const budget = Math.min(maxNewTokens, limit - P);
  const B = prompts.length;
  const out: number[][] = prompts.map(() => []);
  if (budget <= 0) return out;
  const cache = model.createCache();
  try {
    let input = tf.tensor2d(prompts.flat(), [B, P], 'int32'); // (B, P)
    for (let step = 0; step < budget; step++) {
      const next = tf.tidy(() => {
        const logits = model.decode(input, cache); // (B, T, V)
        const T = logits.shape[1];
        return logits
          .slice([0, T - 1, 0], [B, 1, -1])
          .reshape([B, -1])
          .argMax(1); // (B)
      });
      input.dispose();
      const tokens = Array.from(await next.data());
      next.dispose();
      tokens.forEach((t, i) => out[i]!.push(t));
      input = tf.tensor2d(tokens, [B, 1], 'int32'); // (B, 1)
    }
    input.dispose();
    return out;
  } finally {
    cache.dispose();
  }
}
