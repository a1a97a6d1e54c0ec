/**
 * `nepenthe eval` end to end through the real CLI on the tiny Llama that memorized the
 * paragraphs of tests/fixtures/eval/forget.jsonl (tests/fixtures/score/llama-bpe), against
 * paragraphs it never saw (holdout.jsonl). See tests/fixtures/eval/README.md.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { EvalReport } from '../../src/shared/contracts.ts';
import { runCli } from './run-cli.ts';

const path = (p: string) => fileURLToPath(new URL(`../fixtures/${p}`, import.meta.url));
const LLAMA = path('score/llama-bpe');
const FORGET = path('eval/forget.jsonl');
const HOLDOUT = path('eval/holdout.jsonl');
const QA = path('eval/qa');

async function evalJson(args: string[]): Promise<{ report: EvalReport; stdout: string }> {
  const { code, stdout, stderr } = await runCli(['eval', LLAMA, '--json', ...args]);
  expect(code, stderr).toBe(0);
  const raw: unknown = JSON.parse(stdout);
  expect(JSON.stringify(raw)).not.toMatch(/NaN|Infinity/);
  return { report: EvalReport.parse(raw), stdout };
}

describe('nepenthe eval', () => {
  const base = ['--forget', FORGET, '--holdout', HOLDOUT, '--names', 'Ines Whitlow'];

  it('tells memorized paragraphs from unseen ones, deterministically', async () => {
    const first = await evalJson(base);
    const { report } = first;
    expect(report.model.architecture).toBe('llama');
    expect(report.model.sha256).toMatch(/^[0-9a-f]{64}$/);

    const forget = report.sets.forget;
    const holdout = report.sets.holdout!;
    expect(forget.documents).toBe(8);
    expect(holdout.documents).toBe(6);
    expect(forget.tokens).toBeGreaterThan(500);
    expect(forget.verbatim).toMatchObject({ prefixTokens: 32, continuationTokens: 32 });
    expect(forget.verbatim.exactRate).toBeGreaterThanOrEqual(0.875);
    expect(holdout.verbatim.exactRate).toBeLessThanOrEqual(0.2);
    expect(forget.meanNll!).toBeLessThan(0.5);
    expect(holdout.meanNll!).toBeGreaterThan(3);
    expect(forget.exactMemorization!).toBeGreaterThan(0.9);
    expect(forget.extractionStrength!).toBeGreaterThan(0.9);
    expect(holdout.exactMemorization!).toBeLessThan(0.3);
    // The librarian's name is in the forget set and the model completes it.
    expect(forget.pii!.probes).toBeGreaterThanOrEqual(1);
    expect(forget.pii!.leakRate!).toBeGreaterThan(0.5);
    // The holdout set is probed too (people never seen: leaks there are guesses); its
    // paragraphs hold no PII span the detector takes.
    expect(holdout.pii).toMatchObject({ probes: 0, leakRate: null });
    expect(report.skipped.map((s) => s.metric)).toContain('sets.holdout.pii.leakRate');
    // Per-document risk: every forget paragraph ranks above the unseen ones.
    expect(Object.keys(report.risk!.documents)).toHaveLength(8);
    expect(Object.keys(report.risk!.documents)[0]).toBe('forget.jsonl:1');
    expect(report.risk!.holdoutDocuments).toBe(6);
    // The loss AUC is 1 here, so every forget paragraph scores above all six.
    if (report.mia!.loss!.auc === 1)
      for (const d of Object.values(report.risk!.documents)) expect(d.percentile).toBe(100);

    for (const attack of ['loss', 'zlib', 'minK', 'minKpp'] as const) {
      expect(report.mia![attack]!.auc, attack).toBeGreaterThan(0.95);
    }
    expect(report.mia!.reference).toBeUndefined();
    expect(report.privLeak).toBeNull();
    expect(report.forgetQuality).toBeNull();
    const skipped = new Map(report.skipped.map((s) => [s.metric, s.reason]));
    expect(skipped.get('privLeak')).toMatch(/--reference/);
    expect(skipped.get('forgetQuality')).toMatch(/--reference/);
    expect(skipped.get('knowledge')).toMatch(/--qa/);
    expect(skipped.has('mia.reference')).toBe(true);

    expect((await evalJson(base)).stdout).toBe(first.stdout);
  }, 300_000);

  it('without a holdout set lists mia as skipped', async () => {
    const { report } = await evalJson(['--forget', FORGET]);
    expect(report.mia).toBeUndefined();
    expect(report.sets.holdout).toBeUndefined();
    expect(report.skipped.find((s) => s.metric === 'mia')?.reason).toMatch(/--holdout/);
    expect(report.risk).toBeUndefined();
    expect(report.skipped.find((s) => s.metric === 'risk')?.reason).toMatch(/--holdout/);
  }, 300_000);

  it('with a reference model and QA pairs fills privLeak, forgetQuality and knowledge', async () => {
    // The model as its own reference: nothing to tell apart, identical NLL distributions.
    const { report } = await evalJson([
      ...base,
      '--retain',
      HOLDOUT,
      '--qa',
      QA,
      '--reference',
      LLAMA,
    ]);
    expect(report.privLeak).toBeCloseTo(0, 10);
    expect(report.forgetQuality).toBeCloseTo(1, 10);
    expect(report.mia!.reference!.auc).toBeCloseTo(0.5, 10);
    expect(report.sets.retain!.documents).toBe(6);
    expect(report.knowledge!.forget!.rougeL).toBeGreaterThanOrEqual(0);
    expect(report.knowledge!.retain!.rougeL).toBeGreaterThanOrEqual(0);
    const metrics = report.skipped.map((s) => s.metric);
    expect(metrics).not.toContain('privLeak');
    expect(metrics).not.toContain('forgetQuality');
    expect(metrics).not.toContain('knowledge');
  }, 300_000);

  it('bad input exits 2 with one line', async () => {
    const missing = await runCli(['eval', LLAMA, '--json']);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toMatch(/--forget is required/);
    expect(missing.stdout).toBe('');

    const nofile = await runCli(['eval', LLAMA, '--forget', path('eval/nope.txt')]);
    expect(nofile.code).toBe(2);
    expect(nofile.stderr).toMatch(/nope\.txt: no such file/);
    expect(nofile.stderr).not.toMatch(/\n\s+at /);
  });
});
