/**
 * `score`: per-token log-probabilities of documents under a model. Long documents are cut into
 * windows the model can take (its position limit); each window is scored on its own.
 */
import * as tf from '@tensorflow/tfjs';
import type { ScoredDocument } from '../../shared/contracts.ts';
import type { CausalLM } from '../model/architectures/types.ts';
import type { Document } from '../data/documents.ts';
import type { Tokenizer } from '../model/tokenizer.ts';

export interface ScoreOptions {
  /** Tokens per window (default 1024); never more than the model's positions or sliding window. */
  readonly maxLength?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

export function chunkTokens(ids: readonly number[], maxLength: number): number[][] {
  if (ids.length <= maxLength) return [ids.slice()];
  const chunks: number[][] = [];
  for (let start = 0; start < ids.length; start += maxLength)
    chunks.push(ids.slice(start, start + maxLength));
  return chunks;
}

export async function scoreDocuments(
  model: CausalLM,
  tokenizer: Tokenizer,
  documents: readonly Document[],
  options: ScoreOptions = {},
): Promise<ScoredDocument[]> {
  const limit = Math.min(model.spec.maxPositions, model.spec.slidingWindow ?? Infinity);
  const maxLength = Math.min(options.maxLength ?? 1024, limit);
  const windows = documents.flatMap((doc) =>
    chunkTokens(tokenizer.encode(doc.text), maxLength).map((tokenIds, chunk) => ({
      id: `${doc.id}#${chunk}`,
      tokenIds,
    })),
  );
  const scored: ScoredDocument[] = [];
  for (const [i, window] of windows.entries()) {
    const logprobs = await tokenLogprobs(model, window.tokenIds);
    const rest = logprobs.slice(1) as number[];
    const meanNll = rest.length === 0 ? null : -rest.reduce((a, b) => a + b, 0) / rest.length;
    scored.push({ id: window.id, tokenIds: window.tokenIds, logprobs, meanNll });
    options.onProgress?.(i + 1, windows.length);
  }
  return scored;
}

/** log P(ids[i] | ids[<i]) for i ≥ 1; the first entry is null (nothing to condition on). */
export async function tokenLogprobs(
  model: CausalLM,
  ids: readonly number[],
): Promise<(number | null)[]> {
  if (ids.length < 2) return ids.map(() => null);
  const picked = tf.tidy(() => {
    const input = tf.tensor2d([ids.slice(0, -1) as number[]], [1, ids.length - 1], 'int32'); // (1, T-1)
    const logp = tf.logSoftmax(model.logits(input as tf.Tensor2D).squeeze([0])); // (T-1, V)
    const V = model.spec.vocabSize;
    // Flat index of each target in the (T-1)·V log-probabilities: no (T-1, V) one-hot needed.
    const flat = tf.tensor1d(
      ids.slice(1).map((target, t) => t * V + target),
      'int32',
    ); // (T-1)
    return tf.gather(logp.reshape([-1]), flat); // (T-1)
  });
  const values = Array.from(await picked.data());
  picked.dispose();
  return [null, ...values];
}
