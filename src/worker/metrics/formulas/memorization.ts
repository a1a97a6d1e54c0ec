/**
 * Teacher-forced memorization measures and the MUSE privacy-leak summary
 * (ALGORITHMS.md "Metrics": `exactMemorization`, `extractionStrength`, `privLeak`).
 *
 * Input convention: `argmaxMatches[t]` says whether the model's argmax prediction at target
 * position t equals the true token, for the T = `argmaxMatches.length` scored target tokens
 * (positions 1..T of the sequence, each predicted from the true tokens before it; the first
 * token, having no context, is not a target). An empty array throws.
 */

function checkMatches(argmaxMatches: readonly boolean[], what: string): void {
  if (argmaxMatches.length === 0) throw new Error(`${what}: no target tokens`);
}

/** Fraction of target tokens whose argmax prediction is the true token (Tirumala et al. 2022). */
export function exactMemorization(argmaxMatches: readonly boolean[]): number {
  checkMatches(argmaxMatches, 'exact memorization');
  return argmaxMatches.filter(Boolean).length / argmaxMatches.length;
}

/**
 * Extraction strength (open-unlearning's `extraction_strength`): 1 − k* / T, where k* ∈ [0, T] is
 * the smallest number of leading targets to give away such that every remaining target
 * t = k*..T−1 is argmax-predicted — equivalently, greedy decoding from the first k* + 1 true
 * tokens reproduces the rest. k* = T when the last target is missed (nothing extracted, ES = 0);
 * k* = 0 when all match (ES = 1).
 */
export function extractionStrength(argmaxMatches: readonly boolean[]): number {
  checkMatches(argmaxMatches, 'extraction strength');
  const T = argmaxMatches.length;
  let kStar = T;
  while (kStar > 0 && argmaxMatches[kStar - 1] === true) kStar--;
  return 1 - kStar / T;
}

/**
 * MUSE PrivLeak (Shi et al. 2024, §3): (AUC_model − AUC_ref)/AUC_ref × 100, both AUCs from the
 * Min-K% attack on the same forget/holdout sets. 0 is ideal; positive means the forget set is
 * still more recognisable than to a model that never saw it.
 */
export function privLeak(aucModel: number, aucRef: number): number {
  for (const [name, v] of [
    ['model', aucModel],
    ['reference', aucRef],
  ] as const) {
    if (!(v >= 0 && v <= 1)) throw new Error(`privLeak: ${name} AUC ${v} is not in [0, 1]`);
  }
  if (aucRef === 0) throw new Error('privLeak: the reference AUC is 0, the ratio is undefined');
  return ((aucModel - aucRef) / aucRef) * 100;
}
