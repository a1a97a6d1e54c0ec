import { describe, expect, it } from 'vitest';
import {
  ks2Sample,
  ksExactPValue,
  kolmogorovSurvival,
} from '../../src/worker/metrics/formulas/ks.ts';

/** D by the definition: max over every data point t of |F_x(t) − F_y(t)|. */
function ecdfDistance(x: readonly number[], y: readonly number[]): number {
  const cdf = (s: readonly number[], t: number): number =>
    s.filter((v) => v <= t).length / s.length;
  let d = 0;
  for (const t of [...x, ...y]) d = Math.max(d, Math.abs(cdf(x, t) - cdf(y, t)));
  return d;
}

/**
 * Independent reference for the exact p-value: enumerate all C(n+m, n) ways to assign the
 * ranks 0..n+m−1 to x (the rest to y), each equally likely under H0 without ties, and count
 * the assignments with D ≥ d_obs.
 */
function bruteForcePValue(n: number, m: number, dObs: number): number {
  let hits = 0;
  let total = 0;
  const chosen: number[] = [];
  const recurse = (start: number): void => {
    if (chosen.length === n) {
      const x = chosen.slice();
      const y: number[] = [];
      for (let r = 0; r < n + m; r++) if (!x.includes(r)) y.push(r);
      total++;
      if (ecdfDistance(x, y) >= dObs - 1e-12) hits++;
      return;
    }
    for (let r = start; r < n + m; r++) {
      chosen.push(r);
      recurse(r + 1);
      chosen.pop();
    }
  };
  recurse(0);
  return hits / total;
}

describe('ks2Sample statistic', () => {
  it('is the sup distance of the empirical CDFs', () => {
    // x {1,4,5}, y {2,3,6,7}: at 1: 1/3−0; at 3: 1/3−2/4 = −1/6; at 5: 1−1/2 = 1/2 → D = 1/2.
    expect(ks2Sample([1, 4, 5], [2, 3, 6, 7]).statistic).toBeCloseTo(0.5, 15);
  });

  it('handles ties across samples by stepping past every copy at once', () => {
    // x {1,2,2}, y {2,3}: at 1: 1/3; at 2: 1 − 1/2 = 1/2; at 3: 0 → D = 1/2 (not 1).
    expect(ks2Sample([1, 2, 2], [2, 3]).statistic).toBeCloseTo(0.5, 15);
    expect(ks2Sample([5, 5], [5]).statistic).toBe(0);
    expect(ks2Sample([5, 5], [5]).pValue).toBe(1);
  });

  it('rejects empty or NaN samples', () => {
    expect(() => ks2Sample([], [1])).toThrow(/sample x is empty/);
    expect(() => ks2Sample([1], [Number.NaN])).toThrow(/sample y has NaN/);
  });
});

describe('exact p-value', () => {
  it('matches scipy ks_2samp([1,2,3], [4,5,6], method="exact"): p = 0.1', () => {
    // D = 1 happens only for xxxyyy and yyyxxx: 2 of C(6,3) = 20.
    const r = ks2Sample([1, 2, 3], [4, 5, 6]);
    expect(r.statistic).toBe(1);
    expect(r.pValue).toBeCloseTo(0.1, 14);
    expect(r.method).toBe('exact');
  });

  it('matches hand enumeration for n = m = 2', () => {
    // Arrangements of xxyy: 6. D = 1 for xxyy, yyxx; D = 1/2 for the other 4. P(D ≥ 1/2) = 1.
    expect(ks2Sample([1, 2], [3, 4]).pValue).toBeCloseTo(1 / 3, 15);
    expect(ks2Sample([1, 3], [2, 4]).pValue).toBeCloseTo(1, 15);
  });

  it('matches the brute-force permutation enumerator on every attainable D', () => {
    for (const [n, m] of [
      [3, 4],
      [4, 4],
      [2, 7],
      [5, 6],
    ] as const) {
      for (let k = 1; k <= n * m; k++) {
        const expected = bruteForcePValue(n, m, k / (n * m));
        expect(ksExactPValue(n, m, k)).toBeCloseTo(expected, 12);
      }
    }
  });

  it('keeps precision for tiny p-values (no 1 − P cancellation)', () => {
    // Complete separation of n = m = 40: only 2 of C(80, 40) ≈ 1.075e23 paths reach D = 1.
    let c = 1;
    for (let i = 1; i <= 40; i++) c = (c * (40 + i)) / i; // C(80, 40)
    const x = Array.from({ length: 40 }, (_, i) => i);
    const y = x.map((v) => v + 100);
    expect(ks2Sample(x, y).pValue / (2 / c)).toBeCloseTo(1, 10);
  });
});

describe('asymptotic p-value', () => {
  it('matches tabulated Kolmogorov values', () => {
    // Tables (e.g. Smirnov 1948): P(K > 1.36) ≈ 0.0494, P(K > 1.63) ≈ 0.0098,
    // P(K > 1.0) ≈ 0.2700, P(K ≤ 0.5) ≈ 0.0361.
    expect(kolmogorovSurvival(1.36)).toBeCloseTo(0.0494, 3);
    expect(kolmogorovSurvival(1.63)).toBeCloseTo(0.0098, 3);
    expect(kolmogorovSurvival(1.0)).toBeCloseTo(0.27, 4);
    expect(1 - kolmogorovSurvival(0.5)).toBeCloseTo(0.0361, 4);
    expect(kolmogorovSurvival(0)).toBe(1);
  });

  it('is continuous where the two series meet at λ = 1', () => {
    expect(kolmogorovSurvival(1 - 1e-9)).toBeCloseTo(kolmogorovSurvival(1 + 1e-9), 8);
  });

  it('approximates the exact p-value for moderately large samples', () => {
    // x = 0..199, y = 20..219 (n = m = 200): D = 20/200 = 0.1, λ = 0.1·√100 = 1.
    const x = Array.from({ length: 200 }, (_, i) => i);
    const y = x.map((v) => v + 20);
    const asym = ks2Sample(x, y, 'asymptotic');
    expect(asym.method).toBe('asymptotic');
    expect(asym.statistic).toBeCloseTo(0.1, 15);
    expect(asym.pValue).toBeCloseTo(kolmogorovSurvival(1), 15);
    expect(Math.abs(ks2Sample(x, y, 'exact').pValue - asym.pValue)).toBeLessThan(0.03);
  });
});
