/**
 * The worker host (src/main/worker-host) as the CLI and the app use it: jobs run one at a time
 * in the order given; a worker killed with SIGKILL in the middle of an unlearning run fails
 * that job with `worker-crashed`, the host starts a fresh worker for the next job, the killed
 * run's checkpoint is intact, and resuming it gives weights equal, bit for bit, to a run that
 * was never interrupted.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { WorkerCrashed, WorkerHost, WorkerJobError } from '../../src/main/worker-host/index.ts';
import type { JobOf } from '../../src/shared/worker-protocol.ts';

const TINY = fileURLToPath(new URL('../../resources/tiny-gpt2', import.meta.url));
const SAMPLE = fileURLToPath(new URL('../../resources/demo/sample.txt', import.meta.url));
const ENGINE = { backend: 'wasm', seed: 0 } as const;

const scratch = mkdtempSync(join(tmpdir(), 'nepenthe-host-'));
const host = new WorkerHost();
afterAll(async () => {
  await host.dispose();
  rmSync(scratch, { recursive: true, force: true });
});

const CONFIG = join(scratch, 'config.json');
writeFileSync(
  CONFIG,
  JSON.stringify({ epochs: 4, batchSize: 2, maxLength: 64, checkpointEvery: 1, lr: 1e-3 }),
);

function unlearnJob(id: string, out: string, resume = false): JobOf<'unlearn'> {
  return {
    id,
    kind: 'unlearn',
    request: {
      model: TINY,
      forget: SAMPLE,
      retain: SAMPLE,
      method: 'graddiff',
      config: CONFIG,
      out,
      resume,
      ...ENGINE,
    },
  };
}

describe('worker host', () => {
  it('runs jobs one at a time in the order given', async () => {
    const finished: string[] = [];
    const progress: string[] = [];
    const track = <T>(id: string, promise: Promise<T>) =>
      promise.then((value) => {
        finished.push(id);
        return value;
      });
    const [first, scored, last] = await Promise.all([
      track('1', host.run({ id: '1', kind: 'inspect', request: { model: TINY } })),
      track(
        '2',
        host.run(
          { id: '2', kind: 'score', request: { model: TINY, data: SAMPLE, ...ENGINE } },
          { onProgress: (label, done, total) => progress.push(`${label} ${done}/${total}`) },
        ),
      ),
      track('3', host.run({ id: '3', kind: 'inspect', request: { model: TINY } })),
    ]);
    expect(finished).toEqual(['1', '2', '3']);
    expect(first.architecture).toBe('gpt2');
    expect(last.sha256).toBe(first.sha256);
    expect(scored.documents).toHaveLength(2);
    // Reading the documents first (one file, SAMPLE), then scoring its two documents.
    expect(progress).toEqual([
      'loading documents 0/1',
      'loading documents 1/1',
      'scoring 1/2',
      'scoring 2/2',
    ]);
  });

  it('rejects bad input with its code and keeps the worker', async () => {
    const pid = host.pid;
    const error = await host
      .run({ id: 'bad', kind: 'inspect', request: { model: join(scratch, 'none') } })
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkerJobError);
    expect((error as WorkerJobError).code).toBe('bad-input');
    expect((error as WorkerJobError).exitCode).toBe(2);
    expect(host.pid).toBe(pid);
  });

  it('a SIGKILLed worker fails its job; a fresh worker resumes the run to the same weights', async () => {
    const reference = join(scratch, 'reference');
    const straight = await host.run(unlearnJob('straight', reference));
    expect(straight.cancelled).toBe(false);
    expect(straight.totalSteps).toBeGreaterThanOrEqual(6);

    const dir = mkdtempSync(join(scratch, 'crash-'));
    const out = join(dir, 'unlearned');
    const checkpoint = join(dir, '.unlearned.partial', 'checkpoint');
    // Killed twice: in the first run, then again in the run that resumed it.
    for (const [attempt, killAt] of [2, 5].entries()) {
      let killed: number | undefined;
      const error = await host
        .run(unlearnJob(`crash-${attempt}`, out, attempt > 0), {
          onStep: (s) => {
            if (s.step !== killAt) return;
            killed = host.pid!;
            process.kill(killed, 'SIGKILL');
          },
        })
        .catch((e: unknown) => e);
      expect(killed).toBeDefined();
      expect(error).toBeInstanceOf(WorkerCrashed);
      expect((error as WorkerCrashed).code).toBe('worker-crashed');
      expect((error as WorkerCrashed).exit.signal).toBe('SIGKILL');
      expect((error as WorkerCrashed).message).toMatch(/SIGKILL/);
      // The killed run's staging folder: a complete checkpoint, no model published; its lock
      // is left, naming the dead worker, and the next run takes it over (docs/outputs.md).
      expect(readdirSync(dir).sort()).toEqual(['.unlearned.lock', '.unlearned.partial']);
      expect(readFileSync(join(dir, '.unlearned.lock'), 'utf8')).toBe(`${killed}\n`);
      expect(readdirSync(checkpoint).sort()).toEqual(['state.json', 'state.safetensors']);
      expect(host.pid).toBeUndefined(); // started again only when the next job comes
    }

    // The next job starts a fresh worker and resumes from the last checkpoint.
    const resumed = await host.run(unlearnJob('resume', out, true));
    expect(host.pid).toBeDefined();
    expect(resumed.resumedFrom).toBeGreaterThan(2);
    expect(resumed.resumedFrom).toBeLessThanOrEqual(5);
    expect(resumed.totalSteps).toBe(straight.totalSteps);
    expect(readdirSync(dir)).toEqual(['unlearned']);
    const weights = (folder: string) => readFileSync(join(folder, 'model.safetensors'));
    expect(weights(out).equals(weights(reference))).toBe(true);
    expect(weights(out).equals(weights(TINY))).toBe(false); // the runs did change the model
  }, 240_000);

  it('cancels a queued job without running it', async () => {
    const running = host.run({ id: 'long', kind: 'inspect', request: { model: TINY } });
    const queued = host.run({ id: 'queued', kind: 'inspect', request: { model: TINY } });
    host.cancel('queued');
    await expect(queued).rejects.toMatchObject({ code: 'cancelled' });
    await expect(running).resolves.toMatchObject({ architecture: 'gpt2' });
  });
});
