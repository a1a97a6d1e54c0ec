import { describe, expect, it } from 'vitest';
import {
  exactMemorization,
  extractionStrength,
  privLeak,
} from '../../src/worker/metrics/formulas/memorization.ts';

const T = true;
const F = false;

// open-unlearning's definitions (issue 16): the last target is never counted, so these cases
// changed from the earlier all-targets definitions (EM of [T, F, T, T] was 0.75; ES was 0 when
// the last target missed and 1 − k*/T otherwise). More cases: tests/metrics/metrics-standard.test.ts.

describe('exactMemorization', () => {
  it('is the fraction of argmax matches over all targets but the last', () => {
    expect(exactMemorization([T, F, T, T])).toBeCloseTo(2 / 3, 15); // T, F, T counted
    expect(exactMemorization([T, T, T, F])).toBe(1);
    expect(exactMemorization([F, T])).toBe(0);
  });

  it('is null with a single target (nothing left to count), and rejects none', () => {
    expect(exactMemorization([F])).toBeNull();
    expect(exactMemorization([T])).toBeNull();
    expect(() => exactMemorization([])).toThrow(/no target tokens/);
  });
});

describe('extractionStrength', () => {
  it('counts only the all-matching suffix of the counted targets', () => {
    // T = 6, counted N = 5: [T, F, T, T, T]; matches from index 2 on → k = 2 → 1 − 2/5 = 0.6.
    // A match before a miss (target 0) does not count.
    expect(extractionStrength([T, F, T, T, T, F])).toBeCloseTo(0.6, 15);
  });

  it('ignores the last target: a miss there (a final line break) changes nothing', () => {
    expect(extractionStrength([T, T, T, F])).toBe(1);
    expect(extractionStrength([T, T, T, T])).toBe(1);
  });

  it('is 1/N when nothing is extracted, as open-unlearning’s loop leaves k = N − 1', () => {
    expect(extractionStrength([T, T, F, T])).toBeCloseTo(1 / 3, 15);
    expect(extractionStrength([F, F, F, F, F])).toBeCloseTo(1 / 4, 15);
  });

  it('is 0 with a single target (open-unlearning’s value), and rejects none', () => {
    expect(extractionStrength([T])).toBe(0);
    expect(extractionStrength([F])).toBe(0);
    expect(() => extractionStrength([])).toThrow(/no target tokens/);
  });
});

describe('privLeak', () => {
  it('is MUSE’s (AUC_ref − AUC)/(1 − AUC_ref) · 100', () => {
    // (0.5 − 0.6)/0.5·100 = −20; (0.5 − 0.4)/0.5·100 = 20. Was +20 and −20 (the old sign).
    expect(privLeak(0.6, 0.5)).toBeCloseTo(-20, 12);
    expect(privLeak(0.4, 0.5)).toBeCloseTo(20, 12);
    expect(privLeak(0.5, 0.5)).toBe(0);
    // A model that still recognises the forget set perfectly: −100 whatever the reference.
    expect(privLeak(1, 0.71)).toBeCloseTo(-100, 12);
    expect(privLeak(1, 0.2)).toBeCloseTo(-100, 12);
  });

  it('rejects AUCs outside [0, 1] and a reference AUC of 1 unless the model’s is 1 too', () => {
    expect(() => privLeak(1.2, 0.5)).toThrow(/model AUC 1.2/);
    expect(() => privLeak(0.5, 1)).toThrow(/reference AUC is 1/);
    expect(privLeak(1, 1)).toBe(0);
    expect(privLeak(0.5, 0)).toBe(-50);
  });
});
