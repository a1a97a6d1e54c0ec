import { describe, expect, it } from 'vitest';
import {
  exactMemorization,
  extractionStrength,
  privLeak,
} from '../../src/worker/metrics/formulas/memorization.ts';

const T = true;
const F = false;

describe('exactMemorization', () => {
  it('is the fraction of argmax matches', () => {
    expect(exactMemorization([T, F, T, T])).toBe(0.75);
    expect(exactMemorization([F])).toBe(0);
    expect(() => exactMemorization([])).toThrow(/no target tokens/);
  });
});

describe('extractionStrength', () => {
  it('counts only the all-matching suffix', () => {
    // T = 5; suffix of matches = last 3 targets → k* = 2 → 1 − 2/5 = 0.6.
    // A match before a miss (target 0) does not count.
    expect(extractionStrength([T, F, T, T, T])).toBeCloseTo(0.6, 15);
  });

  it('is 0 when nothing is extracted (last target missed), 1 when all are', () => {
    expect(extractionStrength([T, T, T, F])).toBe(0);
    expect(extractionStrength([T, T, T, T])).toBe(1);
  });

  it('handles a single target', () => {
    expect(extractionStrength([T])).toBe(1);
    expect(extractionStrength([F])).toBe(0);
  });

  it('rejects an empty sequence', () => {
    expect(() => extractionStrength([])).toThrow(/no target tokens/);
  });
});

describe('privLeak', () => {
  it('is the relative AUC gap in percent', () => {
    // (0.6 − 0.5)/0.5·100 = 20; (0.4 − 0.5)/0.5·100 = −20.
    expect(privLeak(0.6, 0.5)).toBeCloseTo(20, 12);
    expect(privLeak(0.4, 0.5)).toBeCloseTo(-20, 12);
    expect(privLeak(0.5, 0.5)).toBe(0);
  });

  it('rejects AUCs outside [0, 1] and a zero reference', () => {
    expect(() => privLeak(1.2, 0.5)).toThrow(/model AUC 1.2/);
    expect(() => privLeak(0.5, 0)).toThrow(/reference AUC is 0/);
  });
});
