import { describe, expect, it } from 'vitest';
import {
  lossScore,
  minKCount,
  minKppScore,
  minKScore,
  referenceScore,
  vocabMoments,
  zlibByteLength,
  zlibScore,
} from '../../src/worker/metrics/formulas/mia-scores.ts';

// A fixed 5-token document: log p of each true token.
const LOGPROBS = [-1, -3, -0.5, -2, -4];
// sum = −10.5, mean = −2.1.

describe('lossScore', () => {
  it('is the mean log-probability (−ℓ)', () => {
    expect(lossScore(LOGPROBS)).toBeCloseTo(-2.1, 14);
  });
  it('rejects an empty or NaN input', () => {
    expect(() => lossScore([])).toThrow(/no token/);
    expect(() => lossScore([-1, Number.NaN])).toThrow(/NaN/);
  });
});

describe('zlibScore', () => {
  it('measures the zlib stream: header + deflate + Adler-32', () => {
    // Python (stock zlib 1.2.13): zlib.compress(b'') → 8 bytes (2 header, 2-byte empty final
    // block, 4 Adler-32), b'a'*100 → 12 bytes, b'the cat sat on the mat' → 27 (Node's own zlib
    // gives 30 for the last: Chromium's fork; more in metrics-standard.test.ts).
    expect(zlibByteLength('')).toBe(8);
    expect(zlibByteLength('a'.repeat(100))).toBe(12);
    expect(zlibByteLength('the cat sat on the mat')).toBe(27);
  });
  it('divides −ℓ by the zlib length', () => {
    // 'a'·100 compresses to 12 bytes → −2.1 / 12 = −0.175.
    expect(zlibScore(LOGPROBS, 'a'.repeat(100))).toBeCloseTo(-0.175, 14);
  });
});

describe('minKScore', () => {
  it('uses ⌊k·n⌋ tokens, at least one', () => {
    expect(minKCount(5, 0.4)).toBe(2); // 2.0
    expect(minKCount(9, 0.4)).toBe(3); // 3.6 → 3 (floor, not ceil)
    expect(minKCount(2, 0.4)).toBe(1); // 0.8 → 0 → at least 1
    expect(minKCount(10, 0.3)).toBe(3); // 3.0000000000000004 → 3
    expect(() => minKCount(5, 0)).toThrow(/k 0/);
  });

  it('averages the lowest log-probabilities', () => {
    // k = 0.4, n = 5 → 2 lowest: −4, −3 → −3.5.
    expect(minKScore(LOGPROBS)).toBeCloseTo(-3.5, 14);
    // k = 0.6 → 3 lowest: −4, −3, −2 → −3.
    expect(minKScore(LOGPROBS, 0.6)).toBeCloseTo(-3, 14);
    // k = 1 → all → the loss score.
    expect(minKScore(LOGPROBS, 1)).toBeCloseTo(-2.1, 14);
  });
});

describe('vocabMoments', () => {
  it('computes μ = Σ p log p and σ² = Σ p (log p)² − μ²', () => {
    // p = (½, ¼, ¼): log p = (−ln2, −2ln2, −2ln2); μ = −1.5 ln2;
    // E[(log p)²] = ½ ln²2 + ½·4 ln²2 = 2.5 ln²2; σ² = 2.5 − 2.25 = 0.25 ln²2 → σ = 0.5 ln2.
    const ln2 = Math.log(2);
    const m = vocabMoments([-ln2, -2 * ln2, -2 * ln2]);
    expect(m.mu).toBeCloseTo(-1.5 * ln2, 14);
    expect(m.sigma).toBeCloseTo(0.5 * ln2, 14);
  });
  it('gives σ = 0 for a uniform distribution and ignores p = 0 entries', () => {
    const m = vocabMoments([Math.log(0.5), Math.log(0.5), -Infinity]);
    expect(m.mu).toBeCloseTo(-Math.log(2), 14);
    expect(m.sigma).toBeCloseTo(0, 14);
  });
});

describe('minKppScore', () => {
  it('averages the lowest z-scores', () => {
    // μ_t, σ_t per token; z_t = (lp − μ)/σ:
    //   (−1 − −2)/1 = 1; (−3 − −1)/0.5 = −4; (−0.5 − −0.5)/2 = 0; (−2 − −3)/0.25 = 4;
    //   (−4 − −2)/4 = −0.5. Lowest 2 (k = 0.4): −4, −0.5 → −2.25.
    const moments = [
      { mu: -2, sigma: 1 },
      { mu: -1, sigma: 0.5 },
      { mu: -0.5, sigma: 2 },
      { mu: -3, sigma: 0.25 },
      { mu: -2, sigma: 4 },
    ];
    expect(minKppScore(LOGPROBS, moments)).toBeCloseTo(-2.25, 14);
    // k = 0.6 → 3 lowest z: −4, −0.5, 0 (tokens 2, 5, 3) → −1.5; by log p alone the third
    // token would be token 4 (−2), so this fails if the ranking ignored μ and σ.
    expect(minKppScore(LOGPROBS, moments, 0.6)).toBeCloseTo(-1.5, 14);
  });
  it('takes z = 0 where σ = 0 and checks the lengths', () => {
    // z = (0, −2): lowest 1 of 2 (⌊0.8⌋ → 1) → −2.
    const moments = [
      { mu: -1, sigma: 0 },
      { mu: -1, sigma: 1 },
    ];
    expect(minKppScore([-1, -3], moments)).toBe(-2);
    expect(() => minKppScore([-1], moments)).toThrow(/1 log-probabilities but 2/);
    expect(() => minKppScore([-1], [{ mu: 0, sigma: -1 }])).toThrow(/invalid/);
  });
});

describe('referenceScore', () => {
  it('is ℓ_ref − ℓ = mean(model log p) − mean(reference log p)', () => {
    // ℓ = 2.1, reference log p (−3, −3, −2, −4) → ℓ_ref = 3 → score 0.9.
    expect(referenceScore(LOGPROBS, [-3, -3, -2, -4])).toBeCloseTo(0.9, 14);
  });
});
