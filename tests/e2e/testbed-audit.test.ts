/**
 * The product's main job end to end through the real CLI on the shipped testbed (issue 5):
 * `nepenthe demo` (SAU on a 50 %-pruned copy, bounded LoRA on the dense model, both in calibrated
 * mode: no config) and an SGA audit with its preset (resources/testbed/presets). Each must take
 * the forget set's verbatim exact-extraction rate to ≤ 25 % of before while the retain set keeps
 * ≥ 70 % of its rate; the demo's SAU report must say PASS (bench/RESULTS.md "Methods on the
 * testbed").
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditResult } from '../../src/shared/audit.ts';
import { runCli } from '../cli/run-cli.ts';

const testbed = (p: string) =>
  fileURLToPath(new URL(`../../resources/testbed/${p}`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'nepenthe-e2e-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function expectForgetsAndRetains(result: AuditResult, label: string) {
  const before = result.metricsBefore.sets;
  const after = result.metricsAfter!.sets;
  const rate = (sets: typeof before, name: 'forget' | 'retain') => sets[name]!.verbatim.exactRate!;
  console.log(
    label,
    JSON.stringify({
      forget: [rate(before, 'forget'), rate(after, 'forget')],
      retain: [rate(before, 'retain'), rate(after, 'retain')],
    }),
  );
  expect(rate(before, 'forget'), label).toBeGreaterThan(0.5); // there was something to forget
  expect(rate(after, 'forget'), label).toBeLessThanOrEqual(0.25 * rate(before, 'forget'));
  expect(rate(after, 'retain'), label).toBeGreaterThanOrEqual(0.7 * rate(before, 'retain'));
}

describe('the testbed audited end to end through the CLI', () => {
  it('nepenthe demo: SAU and bounded forget forget10 and keep retain', async () => {
    const { code, stdout, stderr } = await runCli([
      'demo',
      '--out',
      join(dir, 'demo'),
      '--json',
      '--backend',
      'wasm',
    ]);
    expect(code, stderr).toBe(0);
    const document = JSON.parse(stdout) as {
      runs: (AuditResult & {
        method: string;
        report: { path: string; valid: boolean; verdict: string };
      })[];
    };
    expect(document.runs.map((r) => r.method)).toEqual(['sau', 'bounded']);
    for (const run of document.runs) {
      const result = AuditResult.parse(run);
      expect(result.state).toBe('done');
      expectForgetsAndRetains(result, run.method);
      expect(run.report.valid, run.method).toBe(true); // its signed report verifies
      expect(run.report.path).toBe(join(result.runDir, 'report.pdf'));
    }
    // SAU forgot as a model that never saw the forget people: its signed report passes.
    expect(document.runs[0]!.report.verdict).toBe('PASS');
  }, 600_000);

  it('an SGA audit with its preset', async () => {
    const { code, stdout, stderr } = await runCli(
      [
        'audit',
        '--model',
        testbed('model'),
        '--forget',
        testbed('corpus/forget10.jsonl'),
        '--retain',
        testbed('corpus/retain.jsonl'),
        '--holdout',
        testbed('corpus/holdout.jsonl'),
        '--method',
        'sga',
        '--config',
        testbed('presets/sga.json'),
        '--out',
        join(dir, 'sga'),
        '--json',
        '--backend',
        'wasm',
      ],
      { NEPENTHE_KEY_PASSPHRASE: 'e2e test passphrase', XDG_CONFIG_HOME: join(dir, 'xdg') },
    );
    expect(code, stderr).toBe(0);
    expectForgetsAndRetains(AuditResult.parse(JSON.parse(stdout)), 'sga');
  }, 600_000);
});
