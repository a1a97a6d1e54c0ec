/**
 * TOFU's truth ratio, Forget Quality's KS p-value and model utility's harmonic mean, and MUSE
 * KnowMem's output cut, against golden values that tests/fixtures/metrics-standard/make.py
 * computes in Python from the published definitions (TOFU's losses with torch, the KS p-value
 * by exact lattice-path counting, scipy's hmean rule).
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ks2Sample } from '../../src/worker/metrics/formulas/ks.ts';
import {
  answerProbability,
  harmonicMean,
  truthRatio,
  truthRatioForgetStatistic,
  truthRatioUtilityStatistic,
} from '../../src/worker/metrics/formulas/truth-ratio.ts';
import { answerLoss } from '../../src/worker/metrics/families/truth-ratio.ts';
import { knowMemCut } from '../../src/worker/metrics/families/utility.ts';

interface Sequence {
  inputIds: number[];
  logits: number[][];
  averageLoss: number;
}

interface Golden {
  truthRatio: {
    cases: {
      questionTokens: number;
      paraphrased: Sequence;
      perturbed: Sequence[];
      tofuStat: number;
    }[];
    forgetTruthRatio: number;
    utilityTruthRatio: number;
    answerProbability: number;
  };
  ks: { name: string; x: number[]; y: number[]; statistic: number; pValue: number }[];
  utility: {
    hmean: { values: number[]; hmean: number }[];
    knowMemCut: [string, string][];
  };
}

const golden = JSON.parse(
  readFileSync(
    fileURLToPath(new URL('../fixtures/metrics-standard/golden.json', import.meta.url)),
    'utf8',
  ),
) as Golden;

/** log p(x_t | x_<t) for t = 1 … n−1 from the logits (double precision log-softmax). */
function targetLogProbs({ inputIds, logits }: Sequence): number[] {
  return inputIds.slice(1).map((token, t) => {
    const row = logits[t]!;
    const max = Math.max(...row);
    const logSum = max + Math.log(row.reduce((a, v) => a + Math.exp(v - max), 0));
    return row[token]! - logSum;
  });
}

const relative = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe('TOFU truth ratio (locuslab/tofu evaluate_util.py, aggregate_eval_stat.py)', () => {
  const { cases } = golden.truthRatio;
  const loss = (c: (typeof cases)[number], s: Sequence) =>
    answerLoss(targetLogProbs(s), c.questionTokens - 1)!;

  it('answer losses: the tokens after the question, as TOFU labels them', () => {
    for (const c of cases)
      for (const s of [c.paraphrased, ...c.perturbed])
        expect(Math.abs(loss(c, s) - s.averageLoss)).toBeLessThan(1e-9);
  });

  it('per-question ratio R = 1 / TOFU’s exp(mean perturbed loss − paraphrased loss)', () => {
    for (const c of cases) {
      const r = truthRatio(
        loss(c, c.paraphrased),
        c.perturbed.map((s) => loss(c, s)),
      );
      expect(relative(r, 1 / c.tofuStat)).toBeLessThan(1e-9);
    }
    expect(cases.some((c) => c.tofuStat > 1) && cases.some((c) => c.tofuStat < 1)).toBe(true);
  });

  it('set statistics: forget mean min(R,1/R), utility mean max(0,1−R), Prob. mean exp(−L)', () => {
    const ratios = cases.map((c) =>
      truthRatio(
        c.paraphrased.averageLoss,
        c.perturbed.map((s) => s.averageLoss),
      ),
    );
    expect(
      Math.abs(truthRatioForgetStatistic(ratios) - golden.truthRatio.forgetTruthRatio),
    ).toBeLessThan(1e-9);
    expect(
      Math.abs(truthRatioUtilityStatistic(ratios) - golden.truthRatio.utilityTruthRatio),
    ).toBeLessThan(1e-9);
    expect(
      Math.abs(
        answerProbability(cases.map((c) => c.paraphrased.averageLoss)) -
          golden.truthRatio.answerProbability,
      ),
    ).toBeLessThan(1e-9);
  });
});

describe('Forget Quality’s KS p-value equals exact lattice-path counting', () => {
  it.each(golden.ks.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const result = ks2Sample(c.x, c.y);
    expect(result.method).toBe('exact');
    expect(Math.abs(result.statistic - c.statistic)).toBeLessThan(1e-12);
    // Relative: the separated 80 vs 80 case is ~2e-47.
    expect(relative(result.pValue, c.pValue)).toBeLessThan(1e-9);
  });
});

describe('model utility: harmonic mean as scipy.stats.hmean', () => {
  it('matches the golden values, 0 when a component is 0', () => {
    for (const c of golden.utility.hmean)
      expect(Math.abs(harmonicMean(c.values) - c.hmean), c.values.join()).toBeLessThan(1e-12);
    expect(golden.utility.hmean.some((c) => c.hmean === 0)).toBe(true);
  });
});

describe('MUSE KnowMem output cut (metrics/knowmem.py)', () => {
  it('text before "\\n\\n", then "\\nQuestion", then "Question:"', () => {
    for (const [output, cut] of golden.utility.knowMemCut) expect(knowMemCut(output)).toBe(cut);
  });
});
