import { describe, expect, it } from 'vitest';
import {
  auc,
  operatingPointAtFpr,
  rocCurve,
  tprAtFpr,
} from '../../src/worker/metrics/formulas/roc.ts';

/** Independent O(n·m) reference: the pair-counting definition itself. */
function pairwiseAuc(pos: number[], neg: number[]): number {
  let sum = 0;
  for (const p of pos) for (const n of neg) sum += p > n ? 1 : p === n ? 0.5 : 0;
  return sum / (pos.length * neg.length);
}

/** Deterministic pseudo-random integers (LCG) so ties occur. */
function lcgInts(seed: number, count: number, range: number): number[] {
  const out: number[] = [];
  let s = seed;
  for (let i = 0; i < count; i++) {
    s = (s * 1103515245 + 12345) % 2147483648;
    out.push(s % range);
  }
  return out;
}

describe('auc', () => {
  it('matches a hand count with ties', () => {
    // pos {3, 2, 2}, neg {2, 1}: pairs (3,2)=1 (3,1)=1 (2,2)=½ (2,1)=1 (2,2)=½ (2,1)=1 → 5/6.
    expect(auc([3, 2, 2], [2, 1])).toBeCloseTo(5 / 6, 15);
  });

  it('is 1 for perfect separation, 0 for reversed, ½ for all tied', () => {
    expect(auc([5, 6], [1, 2, 3])).toBe(1);
    expect(auc([1, 2], [5, 6])).toBe(0);
    expect(auc([4, 4], [4, 4, 4])).toBe(0.5);
  });

  it('agrees with the O(n·m) pair count on tie-heavy random data', () => {
    for (let seed = 1; seed <= 5; seed++) {
      const pos = lcgInts(seed, 37, 10);
      const neg = lcgInts(seed + 100, 53, 10);
      expect(auc(pos, neg)).toBeCloseTo(pairwiseAuc(pos, neg), 14);
    }
  });

  it('throws a clear error on empty sets', () => {
    expect(() => auc([], [1])).toThrow(/no positive/);
    expect(() => auc([1], [])).toThrow(/no negative/);
    expect(() => auc([Number.NaN], [1])).toThrow(/NaN/);
  });
});

describe('tprAtFpr', () => {
  // 100 negatives 0..99; at maxFpr 0.01 one may be flagged: threshold = 98 (flags only 99).
  const negatives = Array.from({ length: 100 }, (_, i) => i);

  it('uses the strict "score > threshold" rule at the boundary', () => {
    const pos = [98, 98.5, 99, 100];
    // threshold 98: 98 is not flagged (not > 98); 98.5, 99, 100 are → TPR 3/4.
    const point = operatingPointAtFpr(pos, negatives, 0.01);
    expect(point.threshold).toBe(98);
    expect(point.fpr).toBe(0.01);
    expect(point.tpr).toBe(0.75);
    expect(tprAtFpr(pos, negatives)).toBe(0.75);
  });

  it('allows ⌊maxFpr·m⌋ false positives, robust to rounding (0.03·100 → 3)', () => {
    // 3 allowed: threshold = 4th highest = 96, flags 97, 98, 99.
    expect(operatingPointAtFpr([96, 96.5], negatives, 0.03)).toEqual({
      threshold: 96,
      fpr: 0.03,
      tpr: 0.5,
    });
    // 0.29·100 = 28.999999999999996 in floating point; still 29 allowed → threshold 70.
    expect(operatingPointAtFpr([71], negatives, 0.29).threshold).toBe(70);
  });

  it('flags fewer negatives when the boundary score is tied', () => {
    // neg {5, 5, 1, 0}, maxFpr 0.25 → 1 allowed, threshold = 2nd highest = 5: flags none.
    // Any lower threshold flags both 5s (FPR ½). pos {5, 6} → only 6 flagged.
    expect(operatingPointAtFpr([5, 6], [5, 5, 1, 0], 0.25)).toEqual({
      threshold: 5,
      fpr: 0,
      tpr: 0.5,
    });
  });

  it('gives 0 at maxFpr 0 when no positive beats the best negative, 1 at maxFpr 1', () => {
    expect(tprAtFpr([1, 2], [2, 0], 0)).toBe(0);
    expect(tprAtFpr([3, 2], [2, 0], 0)).toBe(0.5);
    expect(operatingPointAtFpr([-5], [2, 0], 1)).toEqual({ threshold: -Infinity, fpr: 1, tpr: 1 });
  });

  it('rejects empty sets and a maxFpr outside [0, 1]', () => {
    expect(() => tprAtFpr([], [1])).toThrow(/no positive/);
    expect(() => tprAtFpr([1], [1], 1.5)).toThrow(/maxFpr/);
  });
});

describe('rocCurve', () => {
  it('runs from (0,0) to (1,1) with one point per distinct score', () => {
    // pos {3, 2, 2}, neg {2, 1}; thresholds 3, 2, 1, −∞.
    expect(rocCurve([3, 2, 2], [2, 1])).toEqual([
      { threshold: 3, fpr: 0, tpr: 0 },
      { threshold: 2, fpr: 0, tpr: 1 / 3 },
      { threshold: 1, fpr: 0.5, tpr: 1 },
      { threshold: -Infinity, fpr: 1, tpr: 1 },
    ]);
  });

  it('has trapezoidal area equal to auc', () => {
    const pos = lcgInts(7, 41, 12);
    const neg = lcgInts(8, 29, 12);
    const pts = rocCurve(pos, neg);
    let area = 0;
    for (let i = 1; i < pts.length; i++) {
      const a = pts[i - 1]!;
      const b = pts[i]!;
      area += ((b.fpr - a.fpr) * (a.tpr + b.tpr)) / 2;
    }
    expect(area).toBeCloseTo(pairwiseAuc(pos, neg), 12);
  });
});
