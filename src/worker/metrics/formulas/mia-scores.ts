/**
 * Membership-inference scores of one document (ALGORITHMS.md "Metrics", `mia.*`). Every score
 * is "higher = more likely a member". Inputs are the per-token log-probabilities
 * log P(x_t | x_<t) of the scored tokens (the `score` command's `logprobs` without the leading
 * null), so ℓ(x) = −mean(logProbs). An empty or NaN input throws.
 */
import { deflate } from 'pako';

/** Min-K% fraction used by `mia.minK` and `mia.minKpp` (ALGORITHMS.md: k = 0.4). */
export const MIN_K_FRACTION = 0.4;

function checkLogProbs(logProbs: readonly number[], what: string): void {
  if (logProbs.length === 0) throw new Error(`${what}: no token log-probabilities`);
  if (logProbs.some((v) => Number.isNaN(v))) throw new Error(`${what}: a log-probability is NaN`);
}

function mean(values: readonly number[]): number {
  let sum = 0;
  for (const v of values) sum += v;
  return sum / values.length;
}

/** `mia.loss`: −ℓ(x), the mean token log-probability (Yeom et al. 2018). */
export function lossScore(logProbs: readonly number[]): number {
  checkLogProbs(logProbs, 'loss score');
  return mean(logProbs);
}

/**
 * Byte length of `zlib.compress(text.encode())` in Python, the zlib entropy of Carlini et al.
 * (2021, §6.1) as MUSE (`metrics/privleak.py`) and open-unlearning (`mia/zlib.py`) compute it:
 * the UTF-8 bytes deflated at zlib's default level 6 in a zlib stream (2-byte header, deflate
 * data, Adler-32 trailer). Computed with pako 2.1.0, a port of stock zlib whose output is
 * byte-identical to Python's (zlib 1.2.13; tests/fixtures/metrics-standard). Not Node's
 * `zlib.deflateSync`: Node bundles Chromium's zlib fork, whose match finder differs, and its
 * streams differ from Python's by a few bytes, either way, on texts of a few hundred bytes
 * (pako 3.x agrees with Node, not with Python, hence the exact pin).
 */
export function zlibByteLength(text: string): number {
  return deflate(new TextEncoder().encode(text)).length;
}

/** `mia.zlib`: −ℓ(x) / zlib-compressed byte length of the text. */
export function zlibScore(logProbs: readonly number[], text: string): number {
  checkLogProbs(logProbs, 'zlib score');
  return mean(logProbs) / zlibByteLength(text);
}

/**
 * Number of tokens the Min-K% scores average over: ⌊k·n⌋, as in the reference code of both
 * Min-K% Prob (Shi et al. 2024, `int(len(all_prob) * ratio)`) and Min-K%++ (Zhang et al.
 * 2025), but at least 1 so short documents (k·n < 1) still get a score where the reference
 * code would average an empty list.
 */
export function minKCount(n: number, k = MIN_K_FRACTION): number {
  if (!(k > 0 && k <= 1)) throw new Error(`Min-K%: k ${k} is not in (0, 1]`);
  return Math.max(1, Math.floor(k * n));
}

function meanOfLowest(values: readonly number[], k: number): number {
  const lowest = [...values].sort((a, b) => a - b).slice(0, minKCount(values.length, k));
  return mean(lowest);
}

/** `mia.minK`: mean of the lowest ⌊k·n⌋ (≥ 1) token log-probabilities. */
export function minKScore(logProbs: readonly number[], k = MIN_K_FRACTION): number {
  checkLogProbs(logProbs, 'Min-K% score');
  return meanOfLowest(logProbs, k);
}

export interface VocabMoments {
  /** μ_t = Σ_v p_v log p_v, the expected log-probability under the model's own distribution. */
  readonly mu: number;
  /** σ_t = sqrt(Σ_v p_v (log p_v − μ_t)²), equal to sqrt(Σ_v p_v (log p_v)² − μ_t²). */
  readonly sigma: number;
}

/**
 * μ_t and σ_t of one position from its full row of log-probabilities over the vocabulary
 * (a log-softmax row). Two passes, so σ² never comes out negative from cancellation; terms with
 * p_v = 0 contribute nothing (0·log 0 = 0).
 */
export function vocabMoments(logProbRow: ArrayLike<number>): VocabMoments {
  let mu = 0;
  for (let v = 0; v < logProbRow.length; v++) {
    const lp = logProbRow[v] as number;
    const p = Math.exp(lp);
    if (p > 0) mu += p * lp;
  }
  let variance = 0;
  for (let v = 0; v < logProbRow.length; v++) {
    const lp = logProbRow[v] as number;
    const p = Math.exp(lp);
    if (p > 0) variance += p * (lp - mu) ** 2;
  }
  return { mu, sigma: Math.sqrt(variance) };
}

/**
 * `mia.minKpp` (Min-K%++, Zhang et al. 2025, eq. 3): z_t = (log p(x_t) − μ_t)/σ_t, score = mean
 * of the lowest ⌊k·n⌋ (≥ 1) z_t. When σ_t = 0 the position's distribution is flat over its
 * support (e.g. one-hot), the token carries no calibrated surprise, and z_t is taken as 0.
 */
export function minKppScore(
  logProbs: readonly number[],
  moments: readonly VocabMoments[],
  k = MIN_K_FRACTION,
): number {
  checkLogProbs(logProbs, 'Min-K%++ score');
  if (moments.length !== logProbs.length) {
    throw new Error(
      `Min-K%++ score: ${logProbs.length} log-probabilities but ${moments.length} (μ, σ) pairs`,
    );
  }
  const z = logProbs.map((lp, t) => {
    const { mu, sigma } = moments[t] as VocabMoments;
    if (!(sigma >= 0) || Number.isNaN(mu)) {
      throw new Error(`Min-K%++ score: invalid (μ, σ) = (${mu}, ${sigma}) at token ${t}`);
    }
    return sigma === 0 ? 0 : (lp - mu) / sigma;
  });
  return meanOfLowest(z, k);
}

/**
 * `mia.reference` (reference-model calibration, Carlini et al. 2021 / 2022): ℓ_ref(x) − ℓ(x)
 * = mean(logProbs) − mean(refLogProbs). The two may tokenize differently, so lengths may differ.
 */
export function referenceScore(
  logProbs: readonly number[],
  refLogProbs: readonly number[],
): number {
  checkLogProbs(logProbs, 'reference score (model)');
  checkLogProbs(refLogProbs, 'reference score (reference model)');
  return mean(logProbs) - mean(refLogProbs);
}
