/**
 * Membership inference, forget windows (positive) against holdout windows: LOSS, zlib, Min-K%,
 * Min-K%++ and, with a reference model, reference; AUC and TPR at 1 % FPR; PrivLeak (Min-K%)
 * when a reference is given.
 */
import { membershipInference, MIA_ATTACKS, type MiaSet } from '../mia.ts';
import type { MetricFamily, SetWork } from './family.ts';

export const membership: MetricFamily = {
  name: 'mia',
  needs: [
    {
      input: 'holdout',
      skipped: [
        { metric: 'mia', reason: 'membership inference needs a holdout set (--holdout)' },
        { metric: 'privLeak', reason: 'needs a holdout set (--holdout)' },
      ],
      nullKeys: ['privLeak'],
    },
  ],
  async run({ tokenizer, sets, forget, hasReference, report, skipped }) {
    const holdout = sets.find((s) => s.name === 'holdout')!;
    const miaSet = (set: SetWork): MiaSet => ({
      stats: set.stats,
      texts: set.windows.map((w) => tokenizer.decode(w.tokenIds, { skipSpecialTokens: true })),
      ...(set.referenceStats === undefined ? {} : { referenceStats: set.referenceStats }),
    });
    const mia = membershipInference(miaSet(forget), miaSet(holdout));
    const attacks: Record<string, unknown> = {};
    for (const attack of MIA_ATTACKS) {
      const result = mia.attacks[attack];
      // The per-window scores ("higher = more likely a member") are kept for plots: histograms
      // and ROC curves of forget against holdout, the reference model's too when there is one.
      if (result !== undefined)
        attacks[attack] = {
          auc: result.auc,
          tprAt1pctFpr: result.tprAt1pctFpr,
          ...(result.referenceAuc === undefined ? {} : { referenceAuc: result.referenceAuc }),
          scores: result.scores,
          ...(result.referenceScores === undefined
            ? {}
            : { referenceScores: result.referenceScores }),
        };
    }
    report.mia = attacks;
    report.privLeak = mia.privLeak;
    for (const s of mia.skipped) {
      skipped.push(
        s.metric === 'privLeak' && !hasReference
          ? { metric: 'privLeak', reason: 'needs a reference model (--reference)' }
          : s,
      );
    }
  },
};
