/**
 * The cover page's verdict (src/main/report/verdict.ts): with a reference model the criteria
 * are relative to it — the forget set reproduced no more than by the reference (+ 0.05),
 * |PrivLeak| ≤ 30, TOFU model utility ≥ 0.9 × before when the metrics have it; without one,
 * the absolute extraction bound and the 0.5 ± 0.05 membership heuristic, said so.
 */
import { describe, expect, it } from 'vitest';
import type { EvalReport } from '../../src/shared/contracts.ts';
import { DEFAULT_THRESHOLDS, judge } from '../../src/main/report/verdict.ts';

interface Extra {
  readonly privLeak?: number;
  readonly referenceForgetExact?: number;
  readonly utility?: number;
}

function metrics(
  auc: number,
  referenceAuc?: number,
  forgetExact = 0,
  retainExact = 1,
  extra: Extra = {},
) {
  return {
    model: { sha256: '0'.repeat(64), architecture: 'gpt2' },
    privLeak: extra.privLeak ?? null,
    ...(extra.utility === undefined ? {} : { modelUtility: { value: extra.utility } }),
    sets: {
      forget: {
        verbatim: { exactRate: forgetExact },
        ...(extra.referenceForgetExact === undefined
          ? {}
          : { referenceVerbatimExactRate: extra.referenceForgetExact }),
      },
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

const criterion = (after: EvalReport, id: string, from: EvalReport = before) =>
  judge(from, after, DEFAULT_THRESHOLDS).criteria.find((c) => c.id === id);

describe('against a reference model', () => {
  it('membership is |PrivLeak| ≤ 30 when the metrics carry PrivLeak', () => {
    const mia = (leak: number) => criterion(metrics(0.9, 0.7, 0, 1, { privLeak: leak }), 'mia')!;
    expect(mia(-20)).toMatchObject({ pass: true, threshold: '|privLeak| ≤ 30' });
    expect(mia(-20).name).toContain('PrivLeak');
    expect(mia(30).pass).toBe(true);
    expect(mia(-100).pass).toBe(false); // still memorized
    expect(mia(45).pass).toBe(false); // over-unlearned: stands out by a high loss
  });

  it('extraction is judged against the reference model’s own exact rate', () => {
    const forget = (exact: number, reference?: number) =>
      criterion(
        metrics(
          0.5,
          undefined,
          exact,
          1,
          reference === undefined ? {} : { referenceForgetExact: reference },
        ),
        'forget',
      )!;
    expect(forget(0.2, 0.2)).toMatchObject({ pass: true });
    expect(forget(0.2, 0.2).measured).toContain('reference model 0.2000');
    expect(forget(0.3, 0.2).pass).toBe(false);
    expect(forget(0.2).pass).toBe(false); // no reference: the absolute 0.05
    expect(forget(0.2).name).toContain('heuristic');
  });

  it('model utility must keep 0.9 of its value, and is judged only when both sides have it', () => {
    const withUtility = (value: number) => metrics(0.5, undefined, 0, 1, { utility: value });
    expect(criterion(withUtility(0.45), 'utility', withUtility(0.5))?.pass).toBe(true);
    expect(criterion(withUtility(0.44), 'utility', withUtility(0.5))?.pass).toBe(false);
    expect(criterion(withUtility(0.44), 'utility')).toBeUndefined();
    expect(judge(withUtility(0.5), withUtility(0.3), DEFAULT_THRESHOLDS).pass).toBe(false);
  });
});
