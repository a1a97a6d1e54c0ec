/**
 * Two-sample Kolmogorov–Smirnov test, two-sided: the statistic D = sup_t |F_x(t) − F_y(t)| of
 * the two empirical CDFs and P(D ≥ d_obs) under H0 (both samples from one continuous
 * distribution). TOFU's forget quality (Maini et al. 2024, §2.5) is this p-value between the
 * truth-ratio distributions of the model and of the retain/reference model
 * (ALGORITHMS.md "Metrics", `forgetQuality`).
 *
 * Switch rule (`method: 'auto'`): exact when n·m ≤ 10⁷ (the dynamic program below visits n·m
 * lattice points, ≈0.1 s at the limit), asymptotic otherwise. scipy's `ks_2samp` 'auto' uses the
 * exact method up to max(n, m) = 10 000; for the set sizes Nepenthe sees (tens to a few thousand
 * documents or questions) both rules choose exact.
 *
 * The exact null distribution assumes no ties (as scipy's does); with tied data it is
 * conservative.
 */

export type KsMethod = 'auto' | 'exact' | 'asymptotic';

export interface KsResult {
  /** D = K/(n·m). */
  readonly statistic: number;
  readonly pValue: number;
  readonly method: 'exact' | 'asymptotic';
}

/** Largest n·m for which `method: 'auto'` computes the exact p-value. */
export const KS_EXACT_MAX_CELLS = 10_000_000;

function checkSample(sample: readonly number[], name: string): void {
  if (sample.length === 0) throw new Error(`KS test: sample ${name} is empty`);
  if (sample.some((v) => Number.isNaN(v))) throw new Error(`KS test: sample ${name} has NaN`);
}

/**
 * K = n·m·D as an integer: walk both sorted samples, stepping past *all* copies of the next
 * value in both samples before comparing, so ties across samples never open a spurious gap.
 * At (i, j) consumed, |F_x − F_y| = |i·m − j·n|/(n·m).
 */
function scaledStatistic(x: readonly number[], y: readonly number[]): number {
  const xs = [...x].sort((a, b) => a - b);
  const ys = [...y].sort((a, b) => a - b);
  const n = xs.length;
  const m = ys.length;
  let i = 0;
  let j = 0;
  let best = 0;
  while (i < n && j < m) {
    const v = Math.min(xs[i] as number, ys[j] as number);
    while (i < n && xs[i] === v) i++;
    while (j < m && ys[j] === v) j++;
    best = Math.max(best, Math.abs(i * m - j * n));
  }
  // Past the end of one sample the gap only shrinks towards 0, so the maximum is already seen.
  return best;
}

/**
 * Exact P(D ≥ K/(n·m)) under H0: the pooled order is a uniformly random arrangement of n x's
 * and m y's, i.e. a monotone lattice path (0,0) → (n,m). Probability mass flows along the path
 * (a step in x from (i, j) has probability (n−i)/(n−i+m−j)); mass stepping onto a point with
 * |i·m − j·n| ≥ K is absorbed. The p-value is the absorbed mass: a sum of positive terms, so
 * p-values far below 1e-16 keep full relative precision (no 1 − P(inside) cancellation).
 */
export function ksExactPValue(n: number, m: number, k: number): number {
  if (k <= 0) return 1;
  const outside = (i: number, j: number): boolean => Math.abs(i * m - j * n) >= k;
  let row = new Float64Array(m + 1);
  let next = new Float64Array(m + 1);
  row[0] = 1;
  let absorbed = 0;
  for (let i = 0; i <= n; i++) {
    next.fill(0);
    for (let j = 0; j <= m; j++) {
      const mass = row[j] as number;
      if (mass === 0) continue;
      const remaining = n - i + (m - j);
      if (remaining === 0) continue;
      if (i < n) {
        const flow = (mass * (n - i)) / remaining;
        if (outside(i + 1, j)) absorbed += flow;
        else next[j] = (next[j] as number) + flow;
      }
      if (j < m) {
        const flow = (mass * (m - j)) / remaining;
        if (outside(i, j + 1)) absorbed += flow;
        else row[j + 1] = (row[j + 1] as number) + flow;
      }
    }
    [row, next] = [next, row];
  }
  return Math.min(1, absorbed);
}

/**
 * Kolmogorov survival function Q(λ) = P(K > λ) = 2 Σ_{k≥1} (−1)^{k−1} e^{−2k²λ²}.
 * For λ < 1 that series converges slowly; there 1 − (√(2π)/λ) Σ_{k≥1} e^{−(2k−1)²π²/(8λ²)}
 * (the Jacobi-theta form of the same CDF) is used instead. Both are summed until terms < 1e-17.
 */
export function kolmogorovSurvival(lambda: number): number {
  if (!(lambda > 0)) return 1;
  if (lambda < 1) {
    let sum = 0;
    for (let k = 1; k < 100; k++) {
      const term = Math.exp((-((2 * k - 1) ** 2) * Math.PI ** 2) / (8 * lambda * lambda));
      sum += term;
      if (term < 1e-17) break;
    }
    return Math.min(1, Math.max(0, 1 - (Math.sqrt(2 * Math.PI) / lambda) * sum));
  }
  let sum = 0;
  for (let k = 1; k < 100; k++) {
    const term = Math.exp(-2 * k * k * lambda * lambda);
    sum += k % 2 === 1 ? term : -term;
    if (term < 1e-17) break;
  }
  return Math.min(1, Math.max(0, 2 * sum));
}

/**
 * Two-sided two-sample KS test. Asymptotic p-value: Q(D·√(n·m/(n+m))) (Smirnov 1939), no
 * small-sample correction — it is only used when n·m > 10⁷ under 'auto'.
 */
export function ks2Sample(
  x: readonly number[],
  y: readonly number[],
  method: KsMethod = 'auto',
): KsResult {
  checkSample(x, 'x');
  checkSample(y, 'y');
  const n = x.length;
  const m = y.length;
  const k = scaledStatistic(x, y);
  const statistic = k / (n * m);
  const exact = method === 'exact' || (method === 'auto' && n * m <= KS_EXACT_MAX_CELLS);
  if (exact) return { statistic, pValue: ksExactPValue(n, m, k), method: 'exact' };
  const lambda = statistic * Math.sqrt((n * m) / (n + m));
  return { statistic, pValue: kolmogorovSurvival(lambda), method: 'asymptotic' };
}
