/**
 * SGA's "normal sequences": for each forget sequence, the retain sequences most like it.
 * ALGORITHMS.md (SGA) prefers similarity by embedding of the model's mean hidden state, with
 * token overlap as the fallback; both are here (`neighbours` in the config):
 *
 * - `embedding`: cosine similarity of each sequence's mean final hidden state (after the final
 *   norm, what the head reads) over its real tokens, from the model as it is when the run
 *   starts. One inference pass over the forget and retain sets.
 * - `tokens`: Jaccard similarity of the sets of token ids; no forward pass.
 *
 * Either way the ranking is best first with ties to the lower retain index, and the choice is
 * made once, before training, so it is a pure function of the starting weights and the data.
 */
import * as tf from '@tensorflow/tfjs';
import type { CausalLM } from '../model/architectures/types.ts';
import { disposeBatch, makeBatch, type TokenSequence } from './batch.ts';

export type NeighbourSimilarity = 'embedding' | 'tokens';

/** For each forget sequence, the indices of its `count` most similar retain sequences, best first. */
export async function nearestRetain(
  model: CausalLM,
  forget: readonly TokenSequence[],
  retain: readonly TokenSequence[],
  count: number,
  by: NeighbourSimilarity,
  batchSize: number,
): Promise<number[][]> {
  if (by === 'tokens') return nearestByTokenOverlap(forget, retain, count);
  const forgetMeans = await meanFinalHidden(model, forget, batchSize);
  const retainMeans = await meanFinalHidden(model, retain, batchSize);
  return nearestByEmbedding(forgetMeans, retainMeans, count);
}

/** Token overlap: Jaccard similarity of the token-id sets. */
export function nearestByTokenOverlap(
  forget: readonly TokenSequence[],
  retain: readonly TokenSequence[],
  count: number,
): number[][] {
  const retainSets = retain.map((s) => new Set(s.ids));
  return forget.map((f) => {
    const mine = new Set(f.ids);
    const similarity = retainSets.map((other) => {
      let shared = 0;
      for (const id of mine) if (other.has(id)) shared++;
      const union = mine.size + other.size - shared;
      return union === 0 ? 0 : shared / union;
    });
    return best(similarity, count);
  });
}

/** Embedding: cosine similarity of the mean hidden states (`meanFinalHidden`'s rows). */
export function nearestByEmbedding(
  forgetMeans: readonly Float32Array[],
  retainMeans: readonly Float32Array[],
  count: number,
): number[][] {
  const norm = (a: Float32Array) => Math.sqrt(a.reduce((s, x) => s + x * x, 0));
  const retainNorms = retainMeans.map(norm);
  return forgetMeans.map((f) => {
    const fn = norm(f);
    const similarity = retainMeans.map((r, j) => {
      const denominator = fn * retainNorms[j]!;
      return denominator === 0 ? 0 : r.reduce((s, x, c) => s + x * f[c]!, 0) / denominator;
    });
    return best(similarity, count);
  });
}

/**
 * Each sequence's final hidden state (C) averaged over its real tokens, in set order; batches of
 * `batchSize`, right-padded (causal: the padding changes no real position), outside any tape.
 */
export async function meanFinalHidden(
  model: CausalLM,
  set: readonly TokenSequence[],
  batchSize: number,
): Promise<Float32Array[]> {
  const out: Float32Array[] = [];
  const C = model.spec.hidden;
  for (let start = 0; start < set.length; start += batchSize) {
    const rows = Array.from(
      { length: Math.min(batchSize, set.length - start) },
      (_, i) => start + i,
    );
    const batch = makeBatch(set, rows);
    const means = tf.tidy(() => {
      const weights = batch.mask.expandDims(2); // (B, T, 1)
      const summed = model.finalHidden(batch.ids).mul(weights).sum(1); // (B, C)
      return summed.div(batch.mask.sum(1, true).maximum(1)); // (B, C)
    });
    const data = (await means.data()) as Float32Array;
    tf.dispose(means);
    disposeBatch(batch);
    rows.forEach((_, b) => out.push(data.slice(b * C, (b + 1) * C)));
  }
  return out;
}

/** Indices of the `count` highest similarities, best first, ties to the lower index. */
function best(similarity: readonly number[], count: number): number[] {
  return similarity
    .map((value, index) => ({ index, value }))
    .sort((a, b) => b.value - a.value || a.index - b.index)
    .slice(0, count)
    .map((s) => s.index);
}
