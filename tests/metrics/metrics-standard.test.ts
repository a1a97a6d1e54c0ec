/**
 * The metric definitions of the field's reference code (issue 16, docs/metrics.md), against
 * golden values that tests/fixtures/metrics-standard/make.py computes with Python from the
 * published definitions: zlib lengths from Python's zlib, ROUGE-L with rouge_score's tokenizer
 * and nltk's Porter stemmer, exact memorization and extraction strength as open-unlearning
 * selects its positions, Min-K% and PrivLeak as muse_bench computes them.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  exactMemorization,
  extractionStrength,
} from '../../src/worker/metrics/formulas/memorization.ts';
import { minKScore, zlibByteLength } from '../../src/worker/metrics/formulas/mia-scores.ts';
import { porterStem } from '../../src/worker/metrics/formulas/porter-stemmer.ts';
import { rougeL, rougeTokens } from '../../src/worker/metrics/formulas/rouge.ts';
import { membershipInference, type MiaSet } from '../../src/worker/metrics/mia.ts';

const here = (p: string) => fileURLToPath(new URL(p, import.meta.url));

interface Golden {
  zlib: {
    zlibVersion: string;
    testbed: Record<string, Record<string, number[]>>;
    hostile: [string, number][];
    rules: Record<string, number>;
  };
  rouge: {
    candidate: string;
    reference: string;
    stem: boolean;
    tokens?: [string[], string[]];
    precision: number;
    recall: number;
    f1: number;
  }[];
  stem: { source: string; stems: [string, string][] };
  memorization: {
    argmaxCorrect: boolean[];
    exactMemorization: number | null;
    extractionStrength: number;
  }[];
  privLeak: {
    name: string;
    forget: number[][];
    holdout: number[][];
    forgetReference: number[][];
    holdoutReference: number[][];
    minK: { forget: number[] };
    privLeak: number;
  }[];
}

const golden = JSON.parse(
  readFileSync(here('../fixtures/metrics-standard/golden.json'), 'utf8'),
) as Golden;

const testbedRecords = (relative: string): Record<string, string>[] =>
  readFileSync(here(`../../resources/testbed/${relative}`), 'utf8')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as Record<string, string>);

describe('zlib lengths are byte-identical to Python’s zlib.compress(text.encode())', () => {
  it('on every testbed text and question/answer', () => {
    let checked = 0;
    for (const [file, fields] of Object.entries(golden.zlib.testbed)) {
      const records = testbedRecords(file);
      for (const [field, lengths] of Object.entries(fields)) {
        const texts = records.map((r) => r[field]).filter((t) => t !== undefined);
        expect(texts.map(zlibByteLength), `${file} ${field}`).toEqual(lengths);
        checked += lengths.length;
      }
    }
    expect(checked).toBeGreaterThan(1000);
  });

  it('on hostile texts: empty, control characters, unicode, repetitive, long', () => {
    for (const [text, length] of golden.zlib.hostile) {
      expect(zlibByteLength(text), JSON.stringify(text.slice(0, 40))).toBe(length);
    }
    const retain = testbedRecords('corpus/retain.jsonl').map((r) => r.text!);
    const rules: Record<string, string> = {
      'retain joined by newlines': retain.join('\n'),
      'x repeated 100000 times': 'x'.repeat(100000),
      'retain joined, 3 times': [...retain, ...retain, ...retain].join('\n'),
    };
    for (const [rule, length] of Object.entries(golden.zlib.rules)) {
      expect(zlibByteLength(rules[rule]!), rule).toBe(length);
    }
  });
});

describe('Porter stems equal nltk’s PorterStemmer (NLTK_EXTENSIONS)', () => {
  it(`on ${golden.stem.stems.length} words (${golden.stem.source})`, () => {
    const wrong = golden.stem.stems.filter(([word, stem]) => porterStem(word) !== stem);
    expect(wrong.map(([w, s]) => `${w}: nltk ${s}, ours ${porterStem(w)}`)).toEqual([]);
  });
});

describe('ROUGE-L equals rouge_score’s', () => {
  it('tokens: only [a-z0-9] runs, stemmed when asked', () => {
    for (const c of golden.rouge.filter((c) => c.tokens !== undefined)) {
      const options = { stem: c.stem };
      expect(rougeTokens(c.candidate, options), c.candidate).toEqual(c.tokens![0]);
      expect(rougeTokens(c.reference, options), c.reference).toEqual(c.tokens![1]);
    }
  });

  it('precision, recall and F1 on hand-made, QA and biography pairs, with and without stemming', () => {
    for (const c of golden.rouge) {
      const s = rougeL(c.candidate, c.reference, { stem: c.stem });
      const what = `${c.stem ? 'stemmed ' : ''}${c.candidate.slice(0, 30)} | ${c.reference.slice(0, 30)}`;
      expect(s.precision, what).toBeCloseTo(c.precision, 14);
      expect(s.recall, what).toBeCloseTo(c.recall, 14);
      expect(s.f1, what).toBeCloseTo(c.f1, 14);
    }
  });

  it('no credit for punctuation: someone else’s email shares only “example org”', () => {
    // The old tokenizer made "." and "@" tokens: 5 of the 7 reference tokens matched (0.71).
    expect(
      rougeL('dener.fatalar@example.org', 'bomeith.lainaibais@example.org').recall,
    ).toBeCloseTo(2 / 4, 14); // example, org
  });
});

describe('exact memorization and extraction strength as open-unlearning', () => {
  it('match the golden values on every case', () => {
    for (const c of golden.memorization) {
      const what = c.argmaxCorrect.map((b) => (b ? 1 : 0)).join('');
      expect(exactMemorization(c.argmaxCorrect), what).toBe(c.exactMemorization);
      expect(extractionStrength(c.argmaxCorrect), what).toBeCloseTo(c.extractionStrength, 15);
    }
  });

  it('a recited document whose final line break is missed is fully extracted', () => {
    const recited = [...Array<boolean>(9).fill(true), false];
    expect(extractionStrength(recited)).toBe(1); // was 0 (the last target had to match)
    expect(exactMemorization(recited)).toBe(1); // was 0.9
    // Nothing matched: 1/N (N = 9 counted targets), was 0.
    expect(extractionStrength(Array<boolean>(10).fill(false))).toBeCloseTo(1 / 9, 15);
  });
});

describe('Min-K% and PrivLeak as muse_bench', () => {
  const set = (stats: number[][], reference: number[][]): MiaSet => ({
    stats: stats.map((logProbs) => ({ logProbs })),
    referenceStats: reference.map((logProbs) => ({ logProbs })),
  });

  for (const c of golden.privLeak) {
    it(`${c.name}: PrivLeak ${c.privLeak.toFixed(2)}`, () => {
      // muse_bench's Min-40% value is −(mean of the lowest); ours is "higher = member".
      c.forget.forEach((logProbs, i) => {
        expect(minKScore(logProbs)).toBeCloseTo(-c.minK.forget[i]!, 12);
      });
      const result = membershipInference(
        set(c.forget, c.forgetReference),
        set(c.holdout, c.holdoutReference),
      );
      expect(result.privLeak).not.toBeNull();
      expect(result.privLeak!).toBeCloseTo(c.privLeak, 9);
    });
  }
});
