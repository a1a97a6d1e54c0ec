/**
 * Issue calibrated's target on a testbed nobody tuned anything for (resources/testbed-b: other
 * people, another tokenizer, 60 holdout people; no presets): `nepenthe audit` with no
 * `--config`, as an officer runs it, with the reference model and QA pairs. Calibrated mode
 * must take the forget set from recited to not extractable, keep the retain set, and stop where
 * the Min-K% attack sees the forget people as the reference model sees them — so the signed
 * report's verdict (extraction against the reference's, |PrivLeak| ≤ 30, retain kept) passes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditResult } from '../../src/shared/audit.ts';
import { runCli } from '../cli/run-cli.ts';

const bed = (p: string) =>
  fileURLToPath(new URL(`../../resources/testbed-b/${p}`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'nepenthe-fresh-testbed-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function audit(method: string, model: string, name: string) {
  const { code, stdout, stderr } = await runCli(
    [
      'audit',
      '--model',
      model,
      '--forget',
      bed('corpus/forget10.jsonl'),
      '--retain',
      bed('corpus/retain.jsonl'),
      '--holdout',
      bed('corpus/holdout.jsonl'),
      '--qa',
      bed('qa/forget10.jsonl'),
      '--reference',
      bed('reference'),
      '--method',
      method,
      '--out',
      join(dir, name),
      '--json',
      '--backend',
      'wasm',
      '--seed',
      '0',
    ],
    { NEPENTHE_KEY_PASSPHRASE: 'fresh testbed passphrase', XDG_CONFIG_HOME: join(dir, 'xdg') },
  );
  expect(code, stderr).toBe(0);
  const printed = JSON.parse(stdout) as { report: { verdict: string } };
  return { result: AuditResult.parse(printed), verdict: printed.report.verdict, stderr };
}

function expectTargets(result: AuditResult, label: string) {
  const before = result.metricsBefore;
  const after = result.metricsAfter!;
  const summary = {
    forget: [before.sets.forget.verbatim.exactRate, after.sets.forget.verbatim.exactRate],
    retain: [before.sets.retain!.verbatim.exactRate, after.sets.retain!.verbatim.exactRate],
    minK: [after.mia!.minK!.auc, after.mia!.minK!.referenceAuc],
    privLeak: after.privLeak,
    steps: [result.training.steps, result.training.totalSteps],
  };
  console.log(label, JSON.stringify(summary));
  expect(before.sets.forget.verbatim.exactRate, label).toBe(1); // it recited every one
  expect(after.sets.forget.verbatim.exactRate!, label).toBeLessThanOrEqual(0.1);
  expect(after.sets.retain!.verbatim.exactRate!, label).toBeGreaterThanOrEqual(
    0.9 * before.sets.retain!.verbatim.exactRate!,
  );
  expect(Math.abs(after.mia!.minK!.auc - after.mia!.minK!.referenceAuc!), label).toBeLessThan(0.1);
  expect(result.training.stoppedEarly, label).toBeDefined(); // the rule stopped it, not the budget
}

describe('a no-config audit of a testbed nobody tuned for', () => {
  it('targetnll reaches the targets and the signed report says PASS', async () => {
    const { result, verdict, stderr } = await audit('targetnll', bed('model'), 'targetnll');
    expectTargets(result, 'targetnll');
    expect(verdict).toBe('pass');
    // The decisions were printed as they were taken.
    expect(stderr).toMatch(/calibrated mode, step \d+: stopped/);
  }, 600_000);

  it("SAU on a 50 % pruned copy (over targetnll, calibrated mode's default base) too", async () => {
    const pruned = join(dir, 'pruned');
    const prune = await runCli([
      'prune',
      bed('model'),
      '--method',
      'magnitude',
      '--sparsity',
      '0.5',
      '--out',
      pruned,
      '--backend',
      'wasm',
    ]);
    expect(prune.code, prune.stderr).toBe(0);
    const { result, verdict } = await audit('sau', pruned, 'sau');
    expectTargets(result, 'sau');
    expect(verdict).toBe('pass');
  }, 600_000);
});
