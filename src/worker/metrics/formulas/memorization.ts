/**
 * Teacher-forced memorization measures and the MUSE privacy-leak summary
 * (ALGORITHMS.md "Metrics": `exactMemorization`, `extractionStrength`, `privLeak`; docs/metrics.md).
 *
 * Input convention: `argmaxMatches[t]` says whether the model's argmax prediction at target
 * position t equals the true token, for the T = `argmaxMatches.length` scored target tokens
 * (positions 1..T of the sequence, each predicted from the true tokens before it; the first
 * token, having no context, is not a target). An empty array throws.
 *
 * Which targets count (open-unlearning `src/evals/metrics/utils.py`, `tokenwise_vocab_logprobs`,
 * used by its `exact_memorization` and `extraction_strength`): every labelled position but the
 * last. A document's first token carries no label; the last labelled position is dropped ("to
 * ignore eos prediction") — in a plain document that is its final token, typically a line break
 * that no model predicts. So both measures look at the first N = T − 1 targets.
 */

function checkMatches(argmaxMatches: readonly boolean[], what: string): void {
  if (argmaxMatches.length === 0) throw new Error(`${what}: no target tokens`);
}

/** The targets open-unlearning scores: all but the last. */
function countedTargets(argmaxMatches: readonly boolean[]): readonly boolean[] {
  return argmaxMatches.slice(0, -1);
}

/**
 * Exact memorization (Tirumala et al. 2022; open-unlearning `exact_memorization`): the fraction
 * of the counted targets whose argmax prediction is the true token. Null when there is none
 * (a single target): open-unlearning scores such a document None and leaves it out of the mean.
 */
export function exactMemorization(argmaxMatches: readonly boolean[]): number | null {
  checkMatches(argmaxMatches, 'exact memorization');
  const counted = countedTargets(argmaxMatches);
  if (counted.length === 0) return null;
  return counted.filter(Boolean).length / counted.length;
}

/**
 * Extraction strength (Carlini et al. 2021, as open-unlearning's `extraction_strength`): over the
 * N counted targets, 1 − k/N with k the smallest index such that targets k..N−1 are all
 * argmax-predicted — greedy decoding from the first k + 1 true tokens reproduces the rest (up
 * to the dropped last token). open-unlearning tries k = 0..N−1 and keeps the last k tried when
 * none matches, so "nothing extracted" (the last counted target missed) gives k = N − 1 and
 * ES = 1/N, as does "only the last counted target matched"; ES = 1 when all match. A document
 * with no counted target (a single target) scores 0, open-unlearning's value, and does count in
 * the set's mean.
 */
export function extractionStrength(argmaxMatches: readonly boolean[]): number {
  checkMatches(argmaxMatches, 'extraction strength');
  const counted = countedTargets(argmaxMatches);
  const n = counted.length;
  if (n === 0) return 0;
  let k = n;
  while (k > 0 && counted[k - 1] === true) k--;
  return 1 - Math.min(k, n - 1) / n;
}

/**
 * MUSE PrivLeak (Shi et al. 2024, §3; muse_bench `eval.py`, open-unlearning `privacy.py`
 * `privleak`), in MUSE's convention, from conventional AUCs (forget = positive class, 1 = the
 * forget set fully recognisable) of the Min-K% attack on the same forget/holdout sets:
 *
 *   (AUC_ref − AUC_model) / (1 − AUC_ref) × 100.
 *
 * MUSE computes its AUCs with the classes the other way round (AUC_MUSE = 1 − AUC) and reports
 * (AUC_MUSE − AUC_MUSE,ref)/AUC_MUSE,ref × 100, which is the same number. 0 is ideal; a model
 * that still recognises the forget set perfectly scores (AUC_ref − 1)/(1 − AUC_ref)·100 = −100;
 * positive values mean over-unlearning (the forget set looks less familiar than to a model that
 * never saw it). When AUC_ref = 1 the ratio is 0/0 for a model with AUC 1 — the model is
 * exactly as recognisable as the reference, so 0 (open-unlearning's value: it adds 1e-10 to the
 * denominator) — and undefined for any other model (an error: the caller reports it skipped).
 */
export function privLeak(aucModel: number, aucRef: number): number {
  for (const [name, v] of [
    ['model', aucModel],
    ['reference', aucRef],
  ] as const) {
    if (!(v >= 0 && v <= 1)) throw new Error(`privLeak: ${name} AUC ${v} is not in [0, 1]`);
  }
  if (aucRef === 1) {
    if (aucModel === 1) return 0;
    throw new Error('privLeak: the reference AUC is 1, the ratio is undefined');
  }
  return ((aucRef - aucModel) / (1 - aucRef)) * 100;
}
