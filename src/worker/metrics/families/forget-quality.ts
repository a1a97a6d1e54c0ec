/**
 * Forget Quality, TOFU's definition (`locuslab/tofu` `aggregate_eval_stat.py`
 * `get_forget_quality`; open-unlearning `privacy.py` `ks_test`): the two-sample
 * Kolmogorov–Smirnov p-value (exact for small samples) between the truth ratios of the model and
 * of the reference model over the forget QA pairs (`truthRatio.forget.ratios` and
 * `.referenceRatios`, families/truth-ratio.ts).
 *
 * Fallback, when no forget QA pair has `paraphrased_answer` and `perturbed_answers` (or no QA
 * pairs were given): the KS p-value between the per-window mean NLLs of the model and of the
 * reference on the forget documents. `forgetQualityDefinition` names the one used:
 * "tofu-truth-ratio" or "mean-nll-fallback" (null when there is no forget quality).
 */
import type { TokenStats } from '../token-stats.ts';
import { ks2Sample } from '../formulas/ks.ts';
import type { MetricFamily } from './family.ts';

export type ForgetQualityDefinition = 'tofu-truth-ratio' | 'mean-nll-fallback';

export const forgetQuality: MetricFamily = {
  name: 'forgetQuality',
  needs: [
    {
      input: 'reference',
      skipped: [{ metric: 'forgetQuality', reason: 'needs a reference model (--reference)' }],
      nullKeys: ['forgetQuality', 'forgetQualityDefinition'],
    },
  ],
  async run({ forget, report, skipped }) {
    report.forgetQuality = null;
    report.forgetQualityDefinition = null;
    const truth = (report.truthRatio as Record<string, Record<string, unknown>> | undefined)
      ?.forget;
    const ratios = truth?.ratios as number[] | undefined;
    const referenceRatios = truth?.referenceRatios as number[] | undefined;
    if (ratios !== undefined && referenceRatios !== undefined) {
      report.forgetQuality = ks2Sample(ratios, referenceRatios).pValue;
      report.forgetQualityDefinition = 'tofu-truth-ratio' satisfies ForgetQualityDefinition;
      return;
    }
    const model = meanNlls(forget.stats);
    const reference = meanNlls(forget.referenceStats ?? []);
    if (model.length === 0 || reference.length === 0)
      skipped.push({ metric: 'forgetQuality', reason: 'no forget window has two tokens' });
    else {
      report.forgetQuality = ks2Sample(model, reference).pValue;
      report.forgetQualityDefinition = 'mean-nll-fallback' satisfies ForgetQualityDefinition;
    }
  },
};

/** Per-window mean NLL of the windows with a scored token. */
function meanNlls(stats: readonly TokenStats[]): number[] {
  return stats
    .filter((s) => s.logProbs.length > 0)
    .map((s) => -s.logProbs.reduce((a, b) => a + b, 0) / s.logProbs.length);
}
