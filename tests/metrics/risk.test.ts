/**
 * Per-document risk (src/worker/metrics/risk.ts) on fixed inputs: the mid-rank percentile, the
 * pooling of a document's windows, and the link to the loss attack's AUC.
 */
import { describe, expect, it } from 'vitest';
import { auc } from '../../src/worker/metrics/formulas/roc.ts';
import {
  documentRisk,
  documentScores,
  percentileRank,
  windowDocumentId,
} from '../../src/worker/metrics/risk.ts';

describe('percentileRank', () => {
  const reference = [-3, -2, -2, -1, 0];
  it('counts lower scores, ties as half', () => {
    expect(percentileRank(-4, reference)).toBe(0);
    expect(percentileRank(-3, reference)).toBe(10); // (0 + ½·1)/5
    expect(percentileRank(-2.5, reference)).toBe(20); // 1/5
    expect(percentileRank(-2, reference)).toBe(40); // (1 + ½·2)/5
    expect(percentileRank(-1, reference)).toBe(70); // (3 + ½)/5
    expect(percentileRank(0, reference)).toBe(90); // (4 + ½)/5
    expect(percentileRank(5, reference)).toBe(100);
  });
  it('refuses an empty reference', () => {
    expect(() => percentileRank(0, [])).toThrow(/no reference/);
  });
  it('averaged over the positives, is 100 × AUC', () => {
    const forget = [-0.5, -2, 1, -3.5];
    const mean = forget.reduce((s, x) => s + percentileRank(x, reference), 0) / forget.length;
    expect(mean).toBeCloseTo(100 * auc(forget, reference), 12);
    expect(mean).toBe(55); // (80 + 40 + 100 + 0)/4
  });
});

describe('documentScores and documentRisk', () => {
  it('pools a document’s windows token-weighted; extracted if any window is', () => {
    const scores = documentScores([
      { documentId: 'a.txt', logProbs: [-1, -2], exact: false },
      { documentId: 'a.txt', logProbs: [-3], exact: true },
      { documentId: 'b.jsonl:2', logProbs: [-0.5, -0.5], exact: null },
      { documentId: 'c.txt', logProbs: [], exact: null },
    ]);
    expect([...scores.entries()]).toEqual([
      ['a.txt', { score: -2, extracted: true, windows: 2 }],
      ['b.jsonl:2', { score: -0.5, extracted: null, windows: 1 }],
      ['c.txt', { score: null, extracted: null, windows: 1 }],
    ]);
  });

  it('ranks each forget document among the holdout documents', () => {
    const holdout = [-3, -2, -2, -1, 0].map((lp, i) => ({
      documentId: `h:${i}`,
      logProbs: [lp],
      exact: false,
    }));
    const result = documentRisk(
      [
        { documentId: 'f:1', logProbs: [-1, -1], exact: true },
        { documentId: 'f:2', logProbs: [-2], exact: false },
        { documentId: 'f:3', logProbs: [], exact: null },
      ],
      [...holdout, { documentId: 'h:empty', logProbs: [], exact: null }],
    );
    expect(result).toEqual({
      holdoutDocuments: 5,
      documents: {
        'f:1': { score: -1, percentile: 70, extracted: true, windows: 1 },
        'f:2': { score: -2, percentile: 40, extracted: false, windows: 1 },
        'f:3': { score: null, percentile: null, extracted: null, windows: 1 },
      },
    });
    expect(documentRisk([], [{ documentId: 'h', logProbs: [], exact: null }])).toBeNull();
  });

  it('maps window ids to document ids', () => {
    expect(windowDocumentId('forget10.jsonl:3#0')).toBe('forget10.jsonl:3');
    expect(windowDocumentId('notes/a#b.txt#12')).toBe('notes/a#b.txt');
  });
});
