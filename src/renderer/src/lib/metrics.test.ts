// The results screen's arithmetic: which way each metric should move, ROC points and
// histograms from per-attack scores, and reading a metrics document with missing parts.
import { describe, expect, it } from 'vitest';
import type { EvalReport } from '../../../shared/contracts.ts';
import { attackScores, histogram, judge, METRICS, roc } from './metrics.ts';

/** Trapezoid area under ROC points. */
const area = (points: [number, number][]) =>
  points
    .slice(1)
    .reduce((sum, [x, y], i) => sum + (x - points[i]![0]) * (y + points[i]![1]) * 0.5, 0);

describe('roc', () => {
  it('gives area 1 when every forget score is above every holdout score', () => {
    const points = roc({ forget: [5, 4, 3], holdout: [1, 0, -1, -2] });
    expect(points[0]).toEqual([0, 0]);
    expect(points[points.length - 1]).toEqual([1, 1]);
    expect(area(points)).toBeCloseTo(1, 10);
  });

  it('gives area 0 when the attack is exactly backwards, and 0.5 for interleaved scores', () => {
    expect(area(roc({ forget: [0, 1], holdout: [2, 3] }))).toBeCloseTo(0, 10);
    expect(area(roc({ forget: [1, 3], holdout: [0, 2] }))).toBeCloseTo(0.75, 10);
    expect(area(roc({ forget: [1, 1], holdout: [1, 1] }))).toBeCloseTo(0.5, 10);
  });
});

describe('histogram', () => {
  it('counts every score once in shared bins', () => {
    const h = histogram([0, 0.1, 0.95, 1], [0.5, 0.55], 4);
    expect(h.labels).toHaveLength(4);
    expect(h.a).toEqual([2, 0, 0, 2]);
    expect(h.b).toEqual([0, 0, 2, 0]);
  });

  it('puts identical scores in one bin without dividing by zero', () => {
    const h = histogram([2, 2], [2], 3);
    expect(h.a.reduce((s, n) => s + n, 0)).toBe(2);
    expect(h.b.reduce((s, n) => s + n, 0)).toBe(1);
  });
});

describe('judge', () => {
  it('knows which way is better', () => {
    expect(judge('down', 0.9, 0.1)).toBe('better');
    expect(judge('down', 0.1, 0.9)).toBe('worse');
    expect(judge('up', 1, 2)).toBe('better');
    expect(judge('toward-half', 1, 0.55)).toBe('better');
    expect(judge('toward-half', 0.5, 0.2)).toBe('worse');
    expect(judge('toward-zero', 40, -5)).toBe('better');
    expect(judge('stay', 2, 2.1)).toBe('kept');
    expect(judge('stay', 2, 3)).toBe('worse');
    expect(judge('down', 1, 1)).toBe('unchanged');
  });
});

describe('reading a metrics document', () => {
  // The shape of a real `metrics-after.json` (demo run), trimmed; no retain set, no knowledge.
  const report = {
    model: { sha256: 'a'.repeat(64), architecture: 'gpt2' },
    sets: {
      forget: {
        documents: 10,
        tokens: 887,
        meanNll: 0.71,
        verbatim: { prefixTokens: 32, continuationTokens: 32, rougeL: 0.92, exactRate: 0.2 },
        extractionStrength: 0.06,
        exactMemorization: 0.89,
        pii: { probes: 50, leakRate: 0.36 },
      },
    },
    mia: {
      loss: { auc: 1, tprAt1pctFpr: 1, scores: { forget: [-0.3, -0.2], holdout: [-5, 'x'] } },
    },
    privLeak: 40.8,
    forgetQuality: null,
    skipped: [{ metric: 'forgetQuality', reason: 'needs a reference model' }],
  } as unknown as EvalReport;
  const read = (id: string) => METRICS.find((m) => m.id === id)!.read(report);

  it('reads the numbers that are there', () => {
    expect(read('forget.exactRate')).toBe(0.2);
    expect(read('forget.pii')).toBe(0.36);
    expect(read('mia.loss')).toBe(1);
    expect(read('privLeak')).toBe(40.8);
  });

  it('answers null for what is missing or null', () => {
    expect(read('retain.nll')).toBeNull();
    expect(read('knowledge.forget')).toBeNull();
    expect(read('mia.zlib')).toBeNull();
    expect(read('forgetQuality')).toBeNull();
  });

  it('takes only finite numbers from the attack scores', () => {
    expect(attackScores(report, 'loss')).toEqual({ forget: [-0.3, -0.2], holdout: [-5] });
    expect(attackScores(report, 'zlib')).toBeNull();
    expect(attackScores(null, 'loss')).toBeNull();
  });
});
