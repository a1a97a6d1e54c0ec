/**
 * Forget Quality: the two-sample Kolmogorov–Smirnov p-value (exact for small samples) between
 * the per-window mean NLLs of the model and of the reference model on the forget set.
 */
import type { TokenStats } from '../token-stats.ts';
import { ks2Sample } from '../formulas/ks.ts';
import type { MetricFamily } from './family.ts';

export const forgetQuality: MetricFamily = {
  name: 'forgetQuality',
  needs: [
    {
      input: 'reference',
      skipped: [{ metric: 'forgetQuality', reason: 'needs a reference model (--reference)' }],
      nullKeys: ['forgetQuality'],
    },
  ],
  async run({ forget, report, skipped }) {
    report.forgetQuality = null;
    const model = meanNlls(forget.stats);
    const reference = meanNlls(forget.referenceStats ?? []);
    if (model.length === 0 || reference.length === 0)
      skipped.push({ metric: 'forgetQuality', reason: 'no forget window has two tokens' });
    else report.forgetQuality = ks2Sample(model, reference).pValue;
  },
};

/** Per-window mean NLL of the windows with a scored token. */
function meanNlls(stats: readonly TokenStats[]): number[] {
  return stats
    .filter((s) => s.logProbs.length > 0)
    .map((s) => -s.logProbs.reduce((a, b) => a + b, 0) / s.logProbs.length);
}
