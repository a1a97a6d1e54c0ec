/**
 * `nepenthe eval` with a real reference model: the shipped testbed (resources/testbed, issue 5)
 * has a model trained on forget10 + retain and a reference trained on retain only, with the
 * same recipe. Against that reference the model's forget set must stand out (PrivLeak −100 in
 * MUSE's convention, Forget Quality a tiny KS p-value, extraction strength high on forget and
 * low on holdout), while the reference measured against itself is the ideal (PrivLeak 0,
 * Forget Quality 1). Forget Quality is TOFU's truth-ratio test when the QA probes
 * (resources/testbed/qa, with paraphrased and perturbed answers) are given, the labelled
 * mean-NLL fallback otherwise.
 */
import { describe, expect, it } from 'vitest';
import { EvalReport } from '../../src/shared/contracts.ts';
import { ks2Sample } from '../../src/worker/metrics/formulas/ks.ts';
import { harmonicMean } from '../../src/worker/metrics/formulas/truth-ratio.ts';
import { evalTestbed, testbed } from './testbed-eval.ts';
const MODEL = testbed('model');
const REFERENCE = testbed('reference');

async function evalJson(model: string, reference: string, qa = false): Promise<EvalReport> {
  const extra = ['--reference', reference, ...(qa ? ['--qa', testbed('qa')] : [])];
  return (await evalTestbed(model, extra)).report;
}

describe('nepenthe eval against the testbed reference model', () => {
  it('the memorizing model: forget set recognisable, forget quality near 0', async () => {
    const report = await evalJson(MODEL, REFERENCE);
    expect(report.sets.forget!.verbatim.exactRate).toBe(1);
    expect(report.sets.holdout!.verbatim.exactRate).toBe(0);
    expect(report.mia!.loss!.auc).toBeGreaterThan(0.95);
    // The model's Min-K% AUC is 1; the reference never saw forget10 or holdout, and its AUC on
    // these 10 vs 20 people is 0.71 (small sets). MUSE's PrivLeak = (0.71 − 1)/(1 − 0.71)·100
    // = −100 (the old convention, (1 − 0.71)/0.71, gave +41).
    expect(report.mia!.minK!.auc).toBe(1);
    expect(report.privLeak).not.toBeNull();
    expect(report.privLeak!).toBeCloseTo(-100, 9);
    // open-unlearning's extraction strength: the model recites forget10 (its final line break
    // aside, which is not counted) and extracts nothing of holdout but the 1/N floor. The old
    // definition gave 0 and 0.
    expect(report.sets.forget!.extractionStrength!).toBeGreaterThan(0.8);
    expect(report.sets.holdout!.extractionStrength!).toBeLessThan(0.05);
    // Without QA probes Forget Quality is the labelled fallback: 10 forget documents, NLL
    // distributions fully separated, the exact two-sided KS p-value 2 / C(20, 10) ≈ 1.1e-5.
    expect(report.forgetQualityDefinition).toBe('mean-nll-fallback');
    expect(report.forgetQuality).not.toBeNull();
    expect(report.forgetQuality!).toBeLessThan(1e-3);
    expect(report.truthRatio).toBeUndefined();
  }, 300_000);

  it('with the QA probes: TOFU forget quality (truth-ratio KS) near 0, model utility', async () => {
    const report = await evalJson(MODEL, REFERENCE, true);
    expect(report.forgetQualityDefinition).toBe('tofu-truth-ratio');
    const forget = report.truthRatio!.forget!;
    expect(forget.questions).toBe(80); // forget10's 10 people × 8 questions
    expect(forget.ratios).toHaveLength(80);
    expect(forget.referenceRatios).toHaveLength(80);
    expect(report.forgetQuality!).toBeGreaterThanOrEqual(0);
    expect(report.forgetQuality!).toBeLessThanOrEqual(1);
    // Measured 1.8e-11: the model prefers the true forget facts (mean R 0.64, min R 0.07) far
    // more often than the reference, which never saw them.
    expect(report.forgetQuality!).toBeLessThan(1e-3);
    expect(report.forgetQuality).toBe(ks2Sample(forget.ratios!, forget.referenceRatios!).pValue);
    expect(report.truthRatio!.retain!.probed).toBe(720);
    expect(report.truthRatio!.holdout!.probed).toBe(160);
    const utility = report.modelUtility!;
    expect(utility.sets).toEqual(['retain']);
    expect(utility.value).toBeCloseTo(
      harmonicMean([
        utility.components.answerProbability,
        utility.components.rougeLRecall,
        utility.components.truthRatio,
      ]),
      15,
    );
    expect(utility.components.rougeLRecall).toBe(report.knowledge!.retain!.rougeL);
    expect(report.knowMem!.retain!.pairs).toBe(720);
    // The folder's holdout.jsonl is the holdout set, for knowledge as for the truth ratio.
    expect(report.knowledge!.forget!.pairs).toBe(80);
    expect(report.knowledge!.retain!.pairs).toBe(720);
    expect((report.knowledge as Record<string, { pairs: number }>).holdout!.pairs).toBe(160);
  }, 300_000);

  it('the reference against itself: PrivLeak 0, forget quality 1', async () => {
    const report = await evalJson(REFERENCE, REFERENCE);
    expect(report.sets.forget!.verbatim.exactRate).toBe(0);
    expect(report.privLeak).toBe(0);
    expect(report.mia!.loss!.referenceAuc).toBe(report.mia!.loss!.auc);
    expect(report.forgetQuality).toBe(1);
    expect(report.forgetQualityDefinition).toBe('mean-nll-fallback');
  }, 300_000);

  it('the reference against itself with the QA probes: TOFU forget quality 1', async () => {
    const report = await evalJson(REFERENCE, REFERENCE, true);
    expect(report.forgetQualityDefinition).toBe('tofu-truth-ratio');
    // Same model, same sequences, batched differently: equal up to float32 rounding. Any D the
    // rounding can open between paired values is 1/80, for which the exact p-value is 1.
    const { ratios, referenceRatios } = report.truthRatio!.forget!;
    expect(referenceRatios).toHaveLength(ratios!.length);
    referenceRatios!.forEach((r, i) => expect(Math.abs(r / ratios![i]! - 1)).toBeLessThan(1e-5));
    expect(report.forgetQuality).toBe(1);
  }, 300_000);
});
