import { describe, expect, it } from 'vitest';
import { lcsLength, rougeL, rougeTokens } from '../../src/worker/metrics/formulas/rouge.ts';

describe('rougeTokens', () => {
  // rouge_score's tokenizer (issue 16): punctuation, accented and non-Latin letters separate
  // tokens and are never tokens themselves (the old tokenizer kept them: don ' t stop , 2024 !).
  it('lowercases and keeps only [a-z0-9] runs', () => {
    expect(rougeTokens("Don't STOP, 2024!")).toEqual(['don', 't', 'stop', '2024']);
    expect(rougeTokens('  Café—über\tnaïve  ')).toEqual(['caf', 'ber', 'na', 've']);
    expect(rougeTokens(' \n ')).toEqual([]);
    expect(rougeTokens('東京 — !')).toEqual([]);
  });

  it('stems tokens longer than three characters only when asked (nltk’s Porter)', () => {
    expect(rougeTokens('Running runs ran', { stem: true })).toEqual(['run', 'run', 'ran']);
    expect(rougeTokens('Running runs ran')).toEqual(['running', 'runs', 'ran']);
    // "ties" has four characters and is stemmed ("tie"); "was" has three and is kept.
    expect(rougeTokens('ties was', { stem: true })).toEqual(['tie', 'was']);
  });
});

describe('lcsLength', () => {
  it('counts a subsequence, not a substring', () => {
    // a b c d e vs a x c y e: common subsequence a c e.
    expect(lcsLength(['a', 'b', 'c', 'd', 'e'], ['a', 'x', 'c', 'y', 'e'])).toBe(3);
    // Order matters: b a vs a b → 1.
    expect(lcsLength(['b', 'a'], ['a', 'b'])).toBe(1);
    expect(lcsLength([], ['a'])).toBe(0);
  });
});

describe('rougeL', () => {
  it('matches a hand-computed example', () => {
    // cand: "the cat sat on the mat" (6 tokens, the "." is no token); ref: "the cat is on the
    // mat" (6). LCS = the cat on the mat = 5 → P = R = F1 = 5/6 (was 5/7, 5/6, 10/13).
    const s = rougeL('The cat sat on the mat.', 'the cat is on the mat');
    expect(s.precision).toBeCloseTo(5 / 6, 12);
    expect(s.recall).toBeCloseTo(5 / 6, 12);
    expect(s.f1).toBeCloseTo(5 / 6, 12);
  });

  it('is 1 for identical token lists regardless of case and spacing', () => {
    expect(rougeL('Hello,   World', 'hello , world')).toEqual({ precision: 1, recall: 1, f1: 1 });
  });

  it('is 0 with no common token (F1 defined as 0, not NaN)', () => {
    expect(rougeL('alpha beta', 'gamma')).toEqual({ precision: 0, recall: 0, f1: 0 });
  });

  it('treats an empty side as all zeros, both empty included', () => {
    expect(rougeL('', 'something')).toEqual({ precision: 0, recall: 0, f1: 0 });
    expect(rougeL('something', '  ')).toEqual({ precision: 0, recall: 0, f1: 0 });
    expect(rougeL('', '')).toEqual({ precision: 0, recall: 0, f1: 0 });
  });

  it('gives recall 1 when the reference is a subsequence of a longer candidate', () => {
    // ref "paris" (1) inside cand "the answer is paris" (4): P = 1/4, R = 1, F1 = 2/5.
    const s = rougeL('The answer is Paris', 'Paris');
    expect(s.recall).toBe(1);
    expect(s.precision).toBe(0.25);
    expect(s.f1).toBeCloseTo(0.4, 12);
  });
});
