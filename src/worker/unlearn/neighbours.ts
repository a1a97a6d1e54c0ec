/**
 * SGA's "normal sequences": for each forget sequence, the retain sequences most like it. Our
 * reading of seed 001 allows an embedding or a token-overlap similarity; this uses token overlap
 * (Jaccard similarity of the sets of token ids), which needs no forward pass and is exactly
 * reproducible. Ties go to the lower retain index.
 */
import type { TokenSequence } from './batch.ts';

/** For each forget sequence, the indices of its `count` most similar retain sequences, best first. */
export function nearestRetain(
  forget: readonly TokenSequence[],
  retain: readonly TokenSequence[],
  count: number,
): number[][] {
  const retainSets = retain.map((s) => new Set(s.ids));
  return forget.map((f) => {
    const mine = new Set(f.ids);
    const scored = retainSets.map((other, index) => {
      let shared = 0;
      for (const id of mine) if (other.has(id)) shared++;
      const union = mine.size + other.size - shared;
      return { index, similarity: union === 0 ? 0 : shared / union };
    });
    scored.sort((a, b) => b.similarity - a.similarity || a.index - b.index);
    return scored.slice(0, count).map((s) => s.index);
  });
}
