/**
 * Issue 5's crash test at the level of a whole audit: the worker is SIGKILLed at a random
 * training step (seeded), twice — in the first attempt and again in the attempt that resumed
 * it. Each time the host reports `worker-crashed`, the run folder is intact (manifest still
 * 'running', metrics-before.json kept, no model/ or metrics-after.json published), and the
 * final resume ends with the same unlearned weights and the same metrics-after document as an
 * audit that was never interrupted.
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { WorkerCrashed, WorkerHost } from '../../src/main/worker-host/index.ts';
import { RunManifest, type AuditRequest } from '../../src/shared/audit.ts';
import { mulberry32 } from '../../src/worker/data/prng.ts';

const testbed = (p: string) =>
  fileURLToPath(new URL(`../../resources/testbed/${p}`, import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'nepenthe-audit-crash-'));
const host = new WorkerHost();
afterAll(async () => {
  await host.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

// A few retain people keep the evaluations short; six one-document steps to kill in.
const RETAIN = join(scratch, 'retain.jsonl');
writeFileSync(
  RETAIN,
  readFileSync(testbed('corpus/retain.jsonl'), 'utf8').split('\n').slice(0, 6).join('\n'),
);
const CONFIG = join(scratch, 'config.json');
writeFileSync(
  CONFIG,
  JSON.stringify({ lr: 1e-3, epochs: 6, batchSize: 1, maxLength: 128, checkpointEvery: 1 }),
);

function request(out: string, resume = false): AuditRequest {
  return {
    model: testbed('model'),
    forget: testbed('corpus/forget01.jsonl'),
    retain: RETAIN,
    holdout: testbed('corpus/holdout.jsonl'),
    method: 'graddiff',
    config: CONFIG,
    out,
    resume,
    backend: 'wasm',
    seed: 0,
  };
}

describe('an audit survives its worker being killed', () => {
  it('SIGKILL at random steps, twice; --resume ends equal to an uninterrupted audit', async () => {
    const straightDir = join(scratch, 'straight');
    const straight = await host.run({
      id: 'straight',
      kind: 'audit',
      request: request(straightDir),
    });
    expect(straight.state).toBe('done');
    const totalSteps = straight.training.totalSteps;
    expect(totalSteps).toBe(6);

    const runDir = join(scratch, 'crashed');
    const random = mulberry32(20261122);
    let lastKill = 0;
    for (const attempt of [0, 1]) {
      // A step after the last kill's checkpoint, before the end.
      const killAt = lastKill + 1 + Math.floor(random() * (totalSteps - lastKill - 2));
      let killed = false;
      const error = await host
        .run(
          { id: `crash-${attempt}`, kind: 'audit', request: request(runDir, attempt > 0) },
          {
            onStep: (s) => {
              if (s.step !== killAt || killed) return;
              killed = true;
              process.kill(host.pid!, 'SIGKILL');
            },
          },
        )
        .catch((e: unknown) => e);
      expect(killed, `kill at step ${killAt}`).toBe(true);
      expect(error).toBeInstanceOf(WorkerCrashed);
      expect((error as WorkerCrashed).code).toBe('worker-crashed');
      const manifest = RunManifest.parse(
        JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8')),
      );
      expect(manifest.state).toBe('running'); // never mistaken for done
      const entries = readdirSync(runDir);
      expect(entries).toContain('metrics-before.json');
      expect(entries).not.toContain('model');
      expect(entries).not.toContain('metrics-after.json');
      lastKill = killAt;
    }

    const resumed = await host.run({ id: 'resume', kind: 'audit', request: request(runDir, true) });
    expect(resumed.state).toBe('done');
    expect(resumed.training.resumedFrom).toBeGreaterThan(0);
    const bytes = (dir: string, file: string) => readFileSync(join(dir, file));
    expect(
      bytes(runDir, 'model/model.safetensors').equals(
        bytes(straightDir, 'model/model.safetensors'),
      ),
    ).toBe(true);
    expect(
      bytes(runDir, 'metrics-after.json').equals(bytes(straightDir, 'metrics-after.json')),
    ).toBe(true);
    expect(
      bytes(runDir, 'metrics-before.json').equals(bytes(straightDir, 'metrics-before.json')),
    ).toBe(true);
  }, 300_000);
});
