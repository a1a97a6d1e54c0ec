/**
 * TOFU's answer-probability statistics (docs/metrics.md "Truth ratio", "Model utility"), as
 * locuslab/tofu computes them: `evaluate_util.py` (per-token average losses of an answer given
 * its question), `aggregate_eval_stat.py` (`get_forget_quality`, `get_model_utility`).
 *
 * An answer's average loss L = −(1/|a|) Σ log p(a_t | q, a_<t) over its scored tokens, so
 * exp(−L) = P(a | q)^(1/|a|), the length-normalised probability.
 */

/** L = −mean log p over the answer's scored tokens; null when it has none. */
export function averageLoss(logProbs: readonly number[]): number | null {
  if (logProbs.length === 0) return null;
  let sum = 0;
  for (const lp of logProbs) sum += lp;
  return -sum / logProbs.length;
}

/**
 * Truth ratio of one question, R = P̃(perturbed)/P̃(paraphrased) with P̃ = P^(1/len):
 * exp(L_paraphrased − mean_j L_perturbed,j). This is TOFU's code (`evaluate_util.py`,
 * `aggregate_eval_stat.py`): the perturbed answers' average *losses* are averaged, i.e. their
 * normalised probabilities enter as a geometric mean (the paper's formula writes an arithmetic
 * mean). R < 1: the model prefers the true fact; R ≈ 1: it cannot tell.
 */
export function truthRatio(paraphrasedLoss: number, perturbedLosses: readonly number[]): number {
  if (perturbedLosses.length === 0) throw new Error('truth ratio: no perturbed answer');
  const meanPerturbed = perturbedLosses.reduce((a, b) => a + b, 0) / perturbedLosses.length;
  return Math.exp(paraphrasedLoss - meanPerturbed);
}

/**
 * TOFU's "Truth Ratio" on the forget set (`aggregate_eval_stat.py`): mean of min(R, 1/R), 1 when
 * the model cannot tell true from false. TOFU's code computes it on 1/R, which is the same.
 */
export function truthRatioForgetStatistic(ratios: readonly number[]): number {
  return mean(ratios.map((r) => Math.min(r, 1 / r)));
}

/**
 * TOFU's "Truth Ratio" on the other sets, the model-utility component: mean of max(0, 1 − R),
 * high when the model prefers the true answers.
 */
export function truthRatioUtilityStatistic(ratios: readonly number[]): number {
  return mean(ratios.map((r) => Math.max(0, 1 - r)));
}

/** TOFU's "Prob." on retain (`eval_log.json`): mean over questions of exp(−L_answer). */
export function answerProbability(answerLosses: readonly number[]): number {
  return mean(answerLosses.map((l) => Math.exp(-l)));
}

/**
 * Harmonic mean n / Σ 1/x of non-negative values, 0 when one of them is 0 (scipy.stats.hmean,
 * which TOFU's `get_model_utility` and open-unlearning's `hm_aggregate` call).
 */
export function harmonicMean(values: readonly number[]): number {
  if (values.length === 0) throw new Error('harmonic mean: no values');
  if (values.some((v) => !(v >= 0))) throw new Error('harmonic mean: values must be ≥ 0');
  if (values.some((v) => v === 0)) return 0;
  return values.length / values.reduce((a, v) => a + 1 / v, 0);
}

function mean(values: readonly number[]): number {
  if (values.length === 0) throw new Error('mean of no values');
  return values.reduce((a, b) => a + b, 0) / values.length;
}
