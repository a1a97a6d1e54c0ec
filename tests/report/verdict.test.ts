/**
 * The cover page's verdict (src/main/report/verdict.ts): with a reference model the membership
 * criterion is the reference's own AUC ± 0.1; without one it is the 0.5 ± 0.05 heuristic, and
 * says so.
 */
import { describe, expect, it } from 'vitest';
import type { EvalReport } from '../../src/shared/contracts.ts';
import { DEFAULT_THRESHOLDS, judge } from '../../src/main/report/verdict.ts';

function metrics(auc: number, referenceAuc?: number, forgetExact = 0, retainExact = 1) {
  return {
    model: { sha256: '0'.repeat(64), architecture: 'gpt2' },
    sets: {
      forget: { verbatim: { exactRate: forgetExact } },
      retain: { verbatim: { exactRate: retainExact } },
    },
    mia: {
      loss: {
        auc,
        tprAt1pctFpr: 0,
        ...(referenceAuc === undefined ? {} : { referenceAuc }),
      },
    },
  } as unknown as EvalReport;
}

const before = metrics(1, undefined, 1, 1);
const membership = (after: EvalReport) => judge(before, after, DEFAULT_THRESHOLDS).criteria[1]!;

describe('the membership criterion', () => {
  it('is the reference model’s AUC ± 0.1 when the metrics carry it', () => {
    expect(membership(metrics(0.68, 0.63))).toMatchObject({
      pass: true,
      name: 'Membership inference as for a model that never saw the forget set',
    });
    expect(membership(metrics(0.68, 0.63)).threshold).toContain('0.5300 … 0.7300');
    expect(membership(metrics(0.5, 0.63)).pass).toBe(false); // over-unlearned: stands out
    expect(membership(metrics(0.75, 0.63)).pass).toBe(false); // still recognised
    expect(judge(before, metrics(0.6, 0.63), DEFAULT_THRESHOLDS).pass).toBe(true);
  });

  it('falls back to 0.5 ± 0.05 without a reference model, marked heuristic', () => {
    const criterion = membership(metrics(0.52));
    expect(criterion.pass).toBe(true);
    expect(criterion.name).toContain('heuristic');
    expect(membership(metrics(0.6)).pass).toBe(false);
    expect(membership(metrics(0.44)).pass).toBe(false);
  });
});
