/**
 * A cancel during an audit's evaluations is acted on at the next batch, not when the evaluation
 * ends (before: minutes at a real shape): before unlearning the run has no result and is marked
 * cancelled (--resume evaluates again); after unlearning the result is `cancelled` with the
 * training report and no metrics after, and a resume finishes it without training again.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { RunManifest, type AuditRequest } from '../../src/shared/audit.ts';
import { AuditCancelled, runAudit } from '../../src/worker/tasks/audit.ts';

const testbed = (p: string) =>
  fileURLToPath(new URL(`../../resources/testbed/${p}`, import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'nepenthe-audit-cancel-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
const retain = join(dir, 'retain.jsonl');
writeFileSync(
  retain,
  readFileSync(testbed('corpus/retain.jsonl'), 'utf8').split('\n').slice(0, 6).join('\n') + '\n',
);
const config = join(dir, 'config.json');
writeFileSync(config, JSON.stringify({ lr: 1e-3, epochs: 1, batchSize: 4, maxLength: 64 }));

const request = (out: string): AuditRequest => ({
  model: testbed('model'),
  forget: testbed('corpus/forget05.jsonl'),
  retain,
  holdout: testbed('corpus/holdout.jsonl'),
  method: 'graddiff',
  config,
  out,
  backend: 'auto',
  seed: 0,
});
const manifest = (runDir: string) =>
  RunManifest.parse(JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8')));

/** Hooks that abort at the first progress line starting with `phase`, and count those after. */
function abortAt(phase: string) {
  const abort = new AbortController();
  const seen = { afterAbort: 0 };
  const onProgress = (label: string) => {
    if (abort.signal.aborted) seen.afterAbort++;
    else if (label.startsWith(phase)) abort.abort();
  };
  return { hooks: { signal: abort.signal, onProgress }, seen };
}

describe('cancelling an audit during its evaluations', () => {
  it('before unlearning: stops at the next batch, no result, the run marked cancelled', async () => {
    const runDir = join(dir, 'before');
    const { hooks, seen } = abortAt('before:');
    await expect(runAudit(request(runDir), hooks)).rejects.toBeInstanceOf(AuditCancelled);
    expect(seen.afterAbort).toBe(0);
    const m = manifest(runDir);
    expect(m.state).toBe('cancelled');
    expect(m.message).toMatch(/during the evaluation before unlearning/);
    expect(existsSync(join(runDir, 'metrics-before.json'))).toBe(false);
    expect(existsSync(join(runDir, 'model'))).toBe(false);
  }, 120_000);

  it('after unlearning: a cancelled result with training, and a resume finishes it', async () => {
    const runDir = join(dir, 'after');
    const { hooks, seen } = abortAt('after:');
    const result = await runAudit(request(runDir), hooks);
    expect(seen.afterAbort).toBe(0);
    expect(result.state).toBe('cancelled');
    expect(result.metricsAfter).toBeNull();
    expect(result.training.cancelled).toBe(false);
    expect(manifest(runDir).state).toBe('cancelled');
    expect(manifest(runDir).message).toMatch(/during the evaluation after/);
    expect(existsSync(join(runDir, 'model'))).toBe(true);
    expect(existsSync(join(runDir, 'metrics-after.json'))).toBe(false);

    const resumed = await runAudit({ ...request(runDir), resume: true });
    expect(resumed.state).toBe('done');
    expect(resumed.metricsAfter).not.toBeNull();
    expect(resumed.training.steps).toBe(result.training.steps);
    expect(manifest(runDir).state).toBe('done');
  }, 180_000);
});
