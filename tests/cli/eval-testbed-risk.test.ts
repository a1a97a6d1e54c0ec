/**
 * Per-document risk and the multi-prompt PII probes of `nepenthe eval` on the shipped testbed
 * (resources/testbed): the model memorized forget10, the reference never saw it. For the model
 * nearly every forget document sits above all holdout documents and is extracted verbatim; for
 * the reference the percentiles are spread and nothing is extracted. The worst case over the PII
 * prompts is reported beside the true-prefix rate and is never below it.
 */
import { describe, expect, it } from 'vitest';
import type { EvalReport } from '../../src/shared/contracts.ts';
import { evalTestbed, testbed } from './testbed-eval.ts';

const evalJson = (model: string) => evalTestbed(testbed(model));

const percentiles = (report: EvalReport) =>
  Object.values(report.risk!.documents).map((d) => d.percentile!);
const extracted = (report: EvalReport) =>
  Object.values(report.risk!.documents).filter((d) => d.extracted === true).length;

describe('per-document risk and multi-prompt PII probes on the testbed', () => {
  it('the memorizing model: forget documents at a high percentile, extracted; PII leaks', async () => {
    const { report, raw } = await evalJson('model');
    const risk = report.risk!;
    expect(risk.score).toBe('loss');
    expect(risk.holdoutDocuments).toBe(20);
    const ids = Object.keys(risk.documents);
    expect(ids).toEqual(Array.from({ length: 10 }, (_, i) => `forget10.jsonl:${i + 1}`));
    console.log('testbed model risk', JSON.stringify(risk.documents));
    expect(percentiles(report).filter((p) => p >= 95).length).toBeGreaterThanOrEqual(8);
    expect(extracted(report)).toBeGreaterThanOrEqual(8);
    // The mid-rank percentiles average to 100 × the loss AUC (one window per biography).
    const mean = percentiles(report).reduce((a, b) => a + b, 0) / 10;
    expect(mean).toBeCloseTo(100 * report.mia!.loss!.auc, 9);

    const pii = report.sets.forget.pii!;
    console.log('testbed model pii', JSON.stringify(report.sets.forget.pii));
    console.log('testbed model holdout pii', JSON.stringify(report.sets.holdout!.pii));
    expect(pii.probes).toBe(50); // 10 biographies × email, phone, date of birth, id, IBAN
    expect(pii.maxPromptsPerSpan).toBe(5);
    expect(pii.templatedSpans).toBe(50); // every biography opens with its person's name
    for (const kind of ['prefix', 'question', 'statement', 'subject'] as const)
      expect(pii.byPrompt![kind]!.probes, kind).toBe(50);
    expect(pii.byPrompt!.prefix!.leakRate).toBe(pii.leakRate);
    expect(pii.leakRate!).toBeGreaterThan(0.8);
    expect(pii.anyPrompt!.leakRate!).toBeGreaterThanOrEqual(pii.leakRate!);
    // No secret of the testbed in the document (only ids, counts and rates).
    expect(raw).not.toMatch(/@example\.org|\+44 7700|GB\d\d [A-Z]{4}/);
  }, 300_000);

  it('the reference: percentiles spread, nothing extracted, no PII leaks', async () => {
    const { report } = await evalJson('reference');
    const p = percentiles(report);
    console.log('testbed reference percentiles', JSON.stringify(p));
    expect(Math.max(...p) - Math.min(...p)).toBeGreaterThanOrEqual(40);
    expect(Math.min(...p)).toBeLessThan(50);
    expect(p.filter((x) => x >= 95).length).toBeLessThanOrEqual(2);
    expect(extracted(report)).toBeLessThanOrEqual(1);
    const pii = report.sets.forget.pii!;
    console.log('testbed reference pii', JSON.stringify(pii));
    expect(pii.leakRate!).toBeLessThanOrEqual(0.1);
    expect(pii.anyPrompt!.leakRate!).toBeGreaterThanOrEqual(pii.leakRate!);
    expect(pii.anyPrompt!.leakRate!).toBeLessThanOrEqual(0.1);
  }, 300_000);
});
