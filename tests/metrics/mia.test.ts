/**
 * `membershipInference` on synthetic token stats whose answers are known: separated sets give
 * AUC 1 and TPR 1, identical sets AUC 0.5, reversed sets AUC 0; each attack's scores are the
 * formulas' scores; missing inputs are `skipped` entries, never NaN.
 */
import { describe, expect, it } from 'vitest';
import {
  lossScore,
  minKppScore,
  minKScore,
  zlibScore,
} from '../../src/worker/metrics/formulas/index.ts';
import { membershipInference, type MiaTokenStats } from '../../src/worker/metrics/mia.ts';
import { momentsOf } from '../../src/worker/metrics/token-stats.ts';

/** A document whose every token has log-prob `lp` (moments make z_t = lp + 1). */
function doc(lp: number, n = 10): MiaTokenStats {
  return {
    logProbs: new Array<number>(n).fill(lp),
    mu: new Array<number>(n).fill(-1),
    sigma: new Array<number>(n).fill(1),
  };
}
const texts = (n: number) =>
  Array.from({ length: n }, (_, i) => `document ${i} with some ordinary words in it`);

/** Forget documents memorized (log-probs −0.1 … −0.5), holdout unseen (−3 … −5). */
const FORGET = [-0.1, -0.2, -0.3, -0.4, -0.5].map((lp) => doc(lp));
const HOLDOUT = [-3, -3.5, -4, -4.5, -5].map((lp) => doc(lp));

describe('membershipInference', () => {
  it('separated sets: AUC 1 and TPR 1 for every attack, scores from the formulas', () => {
    const result = membershipInference(
      { stats: FORGET, texts: texts(5), referenceStats: HOLDOUT.map(() => doc(-4)) },
      { stats: HOLDOUT, texts: texts(5), referenceStats: HOLDOUT.map(() => doc(-4)) },
    );
    expect(result.skipped).toEqual([]);
    expect(Object.keys(result.attacks).sort()).toEqual(
      ['loss', 'minK', 'minKpp', 'reference', 'zlib'].sort(),
    );
    for (const [name, attack] of Object.entries(result.attacks)) {
      expect(attack.auc, name).toBe(1);
      expect(attack.tprAt1pctFpr, name).toBe(1);
      expect(attack.scores.forget, name).toHaveLength(5);
      expect(attack.scores.holdout, name).toHaveLength(5);
    }
    const a = result.attacks;
    expect(a.loss!.scores.forget).toEqual(FORGET.map((d) => lossScore(d.logProbs)));
    expect(a.minK!.scores.holdout).toEqual(HOLDOUT.map((d) => minKScore(d.logProbs, 0.4)));
    expect(a.zlib!.scores.forget).toEqual(
      FORGET.map((d, i) => zlibScore(d.logProbs, texts(5)[i]!)),
    );
    expect(a.minKpp!.scores.forget).toEqual(
      FORGET.map((d) => minKppScore(d.logProbs, momentsOf({ mu: d.mu!, sigma: d.sigma! }))),
    );
    expect(a.minKpp!.scores.forget[0]).toBeCloseTo(0.9, 12); // z = −0.1 − (−1)
    expect(a.reference!.scores.forget[0]).toBeCloseTo(-0.1 - -4, 12);
    // The reference model cannot tell the sets apart (AUC 0.5), the model does perfectly (1):
    // MUSE's privLeak = (0.5 − 1)/(1 − 0.5) × 100 = −100 (the old convention gave +100).
    expect(result.privLeak).toBeCloseTo(-100, 12);
    // The same attacks under the reference model: every forget and holdout document at −4.
    expect(a.loss!.referenceAuc).toBe(0.5);
    expect(a.minK!.referenceAuc).toBe(0.5);
    expect(a.zlib!.referenceAuc).toBeDefined();
    expect(a.minKpp!.referenceAuc).toBeUndefined();
    // Their per-document scores, kept for the report's reference ROC curve.
    expect(a.loss!.referenceScores).toEqual({
      forget: FORGET.map(() => lossScore([-4])),
      holdout: HOLDOUT.map(() => lossScore([-4])),
    });
    expect(a.minKpp!.referenceScores).toBeUndefined();
    expect(result.excluded).toEqual({ forget: [], holdout: [] });
    expect(JSON.stringify(result)).not.toMatch(/NaN|null/);
  });

  it('identical distributions: AUC 0.5; reversed: AUC 0, TPR 0', () => {
    const same = membershipInference({ stats: HOLDOUT }, { stats: HOLDOUT });
    expect(same.attacks.loss!.auc).toBe(0.5);
    expect(same.attacks.minK!.auc).toBe(0.5);
    expect(same.attacks.minKpp!.auc).toBe(0.5);
    const reversed = membershipInference({ stats: HOLDOUT }, { stats: FORGET });
    expect(reversed.attacks.loss!.auc).toBe(0);
    expect(reversed.attacks.loss!.tprAt1pctFpr).toBe(0);
  });

  it('interleaved scores give the Mann–Whitney fraction', () => {
    // forget −1, −3 vs holdout −2, −4: pairs won 1 + 1 + 0 + 1 = 3 of 4.
    const result = membershipInference(
      { stats: [doc(-1), doc(-3)] },
      { stats: [doc(-2), doc(-4)] },
    );
    expect(result.attacks.loss!.auc).toBe(0.75);
  });

  it('missing inputs are skipped with a reason, never NaN', () => {
    const noMoments = FORGET.map((d) => ({ logProbs: d.logProbs }));
    const result = membershipInference({ stats: noMoments, texts: texts(5) }, { stats: HOLDOUT });
    expect(Object.keys(result.attacks).sort()).toEqual(['loss', 'minK']);
    expect(result.skipped).toEqual([
      { metric: 'mia.zlib', reason: 'no document texts for the holdout set' },
      { metric: 'mia.minKpp', reason: 'no vocabulary moments (μ, σ) for the forget set' },
      {
        metric: 'mia.reference',
        reason: 'no reference-model stats for the forget and holdout set',
      },
      { metric: 'privLeak', reason: 'no reference-model stats' },
    ]);
    expect(result.privLeak).toBeNull();
    expect(JSON.stringify(result.attacks)).not.toMatch(/NaN|null/);
  });

  it('documents without a scored token are excluded; an empty set skips every attack', () => {
    const result = membershipInference(
      { stats: [doc(-0.1), { logProbs: [], mu: [], sigma: [] }, doc(-0.2)] },
      { stats: [doc(-3)] },
    );
    expect(result.excluded).toEqual({ forget: [1], holdout: [] });
    expect(result.attacks.loss!.scores.forget).toEqual(
      [-0.1, -0.2].map((v) => expect.closeTo(v, 12)),
    );
    expect(result.attacks.loss!.auc).toBe(1);

    const empty = membershipInference({ stats: [doc(-1)] }, { stats: [] });
    expect(empty.attacks).toEqual({});
    expect(empty.skipped.filter((s) => s.metric === 'mia.loss')).toEqual([
      { metric: 'mia.loss', reason: 'no holdout document with a scored token' },
    ]);
  });

  it('non-finite scores are skipped, not reported', () => {
    const result = membershipInference({ stats: [doc(-Infinity), doc(-1)] }, { stats: [doc(-2)] });
    expect(result.attacks.loss).toBeUndefined();
    expect(result.skipped.find((s) => s.metric === 'mia.loss')!.reason).toMatch(
      /forget document 0 has score -Infinity/,
    );
    const nan = membershipInference({ stats: [doc(NaN)] }, { stats: [doc(-2)] });
    expect(nan.attacks.loss).toBeUndefined();
    expect(nan.skipped.find((s) => s.metric === 'mia.loss')!.reason).toMatch(/NaN/);
  });

  it('misaligned inputs are a caller error', () => {
    expect(() =>
      membershipInference({ stats: FORGET, texts: ['one'] }, { stats: HOLDOUT }),
    ).toThrow(/forget set has 5 documents but 1 texts/);
    expect(() =>
      membershipInference({ stats: FORGET }, { stats: HOLDOUT, referenceStats: [doc(-1)] }),
    ).toThrow(/holdout set has 5 documents but 1 reference-model stats/);
    expect(() =>
      membershipInference({ stats: [{ logProbs: [-1, -2], mu: [-1] }] }, { stats: HOLDOUT }),
    ).toThrow(/2 log-probs but 1 mu/);
  });
});
