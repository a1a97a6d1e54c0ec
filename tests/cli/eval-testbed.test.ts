/**
 * `nepenthe eval` with a real reference model: the shipped testbed (resources/testbed, issue 5)
 * has a model trained on forget10 + retain and a reference trained on retain only, with the
 * same recipe. Against that reference the model's forget set must stand out (PrivLeak well above
 * 0, Forget Quality a tiny KS p-value), while the reference measured against itself is the ideal
 * (PrivLeak 0, Forget Quality 1).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EvalReport } from '../../src/shared/contracts.ts';
import { runCli } from './run-cli.ts';

const testbed = (p: string) =>
  fileURLToPath(new URL(`../../resources/testbed/${p}`, import.meta.url));
const MODEL = testbed('model');
const REFERENCE = testbed('reference');

async function evalJson(model: string, reference: string): Promise<EvalReport> {
  const { code, stdout, stderr } = await runCli([
    'eval',
    model,
    '--json',
    '--backend',
    'wasm',
    '--forget',
    testbed('corpus/forget10.jsonl'),
    '--holdout',
    testbed('corpus/holdout.jsonl'),
    '--reference',
    reference,
  ]);
  expect(code, stderr).toBe(0);
  return EvalReport.parse(JSON.parse(stdout));
}

describe('nepenthe eval against the testbed reference model', () => {
  it('the memorizing model: forget set recognisable, forget quality near 0', async () => {
    const report = await evalJson(MODEL, REFERENCE);
    expect(report.sets.forget!.verbatim.exactRate).toBe(1);
    expect(report.sets.holdout!.verbatim.exactRate).toBe(0);
    expect(report.mia!.loss!.auc).toBeGreaterThan(0.95);
    // The model's Min-K% AUC is 1; the reference never saw forget10 or holdout, and its AUC on
    // these 10 vs 20 people is 0.71 (small sets), so PrivLeak = (1 − 0.71)/0.71 ≈ 41 %.
    expect(report.privLeak).not.toBeNull();
    expect(report.privLeak!).toBeGreaterThan(25);
    // 10 forget documents, NLL distributions fully separated: the exact two-sided KS p-value
    // is 2 / C(20, 10) ≈ 1.1e-5.
    expect(report.forgetQuality).not.toBeNull();
    expect(report.forgetQuality!).toBeLessThan(1e-3);
  }, 300_000);

  it('the reference against itself: PrivLeak 0, forget quality 1', async () => {
    const report = await evalJson(REFERENCE, REFERENCE);
    expect(report.sets.forget!.verbatim.exactRate).toBe(0);
    expect(report.privLeak).toBe(0);
    expect(report.forgetQuality).toBe(1);
  }, 300_000);
});
