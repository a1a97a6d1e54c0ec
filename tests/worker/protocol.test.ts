/**
 * The engine worker as the app runs it: a plain Node child process on an IPC channel with
 * `advanced` serialization, driven here directly (no host) so that its own boundary is tested:
 * every job and bad message is answered by an event, and nothing sent to it ends the process.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { WorkerEvent, type WorkerJob } from '../../src/shared/worker-protocol.ts';

const ENTRY = fileURLToPath(new URL('../../src/worker/index.ts', import.meta.url));
const TSX = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
const TINY = fileURLToPath(new URL('../../resources/tiny-gpt2', import.meta.url));
const SAMPLE = fileURLToPath(new URL('../../resources/demo/sample.txt', import.meta.url));
const LLAMA = fileURLToPath(new URL('../fixtures/score/llama-bpe', import.meta.url));
const EVAL = (name: string) => fileURLToPath(new URL(`../fixtures/eval/${name}`, import.meta.url));
const ENGINE = { backend: 'wasm', seed: 0 } as const;

const scratch = mkdtempSync(join(tmpdir(), 'nepenthe-protocol-'));
const worker: ChildProcess = fork(ENTRY, [], {
  execArgv: ['--import', TSX],
  serialization: 'advanced',
  stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
});
afterAll(() => {
  worker.kill();
  rmSync(scratch, { recursive: true, force: true });
});

/** Sends a message and collects the events of `id` until a final one (result or error). */
function run(
  message: WorkerJob | Record<string, unknown> | string,
  id = (message as { id: string }).id,
  onEvent?: (event: WorkerEvent) => void,
): Promise<WorkerEvent[]> {
  return new Promise((resolve) => {
    const events: WorkerEvent[] = [];
    const onMessage = (raw: unknown) => {
      const event = WorkerEvent.parse(raw);
      if (event.id !== id) return;
      events.push(event);
      onEvent?.(event);
      if (event.kind === 'result' || event.kind === 'error') {
        worker.off('message', onMessage);
        resolve(events);
      }
    };
    worker.on('message', onMessage);
    worker.send(message);
  });
}

function unlearnJob(id: string, out: string) {
  const config = join(scratch, `${id}.json`);
  writeFileSync(
    config,
    JSON.stringify({ epochs: 20, batchSize: 2, maxLength: 64, checkpointEvery: 1 }),
  );
  return {
    id,
    kind: 'unlearn',
    request: {
      model: TINY,
      forget: SAMPLE,
      retain: SAMPLE,
      method: 'graddiff',
      config,
      out,
      ...ENGINE,
    },
  } as const;
}

describe('engine worker', () => {
  it('answers an inspect job', async () => {
    const [event] = await run({ id: 'a', kind: 'inspect', request: { model: TINY } });
    expect(event).toMatchObject({
      id: 'a',
      kind: 'result',
      job: 'inspect',
      result: { architecture: 'gpt2', vocab: 512 },
    });
  });

  it('scores with progress and log events', async () => {
    const events = await run({
      id: 'b',
      kind: 'score',
      request: { model: TINY, data: SAMPLE, ...ENGINE },
    });
    expect(events.some((e) => e.kind === 'progress')).toBe(true);
    expect(events.some((e) => e.kind === 'log' && e.message.startsWith('backend: wasm'))).toBe(
      true,
    );
    const last = events.at(-1)!;
    expect(last).toMatchObject({ kind: 'result', job: 'score' });
    if (last.kind === 'result' && last.job === 'score')
      expect(last.result.documents[0]!.logprobs[0]).toBeNull();
  });

  it('evaluates with progress events', async () => {
    const events = await run({
      id: 'f',
      kind: 'eval',
      request: {
        model: LLAMA,
        forget: EVAL('forget.jsonl'),
        holdout: EVAL('holdout.jsonl'),
        ...ENGINE,
      },
    });
    expect(events.some((e) => e.kind === 'progress')).toBe(true);
    const last = events.at(-1)!;
    expect(last).toMatchObject({ kind: 'result', job: 'eval' });
    if (last.kind === 'result' && last.job === 'eval') {
      expect(last.result.sets.forget?.documents).toBe(8);
      expect(last.result.mia?.loss?.auc).toBe(1);
    }
  });

  it('answers bad input and bad messages with error events and keeps working', async () => {
    const [missing] = await run({
      id: 'c',
      kind: 'inspect',
      request: { model: '/nonexistent/model' },
    });
    expect(missing).toMatchObject({ kind: 'error', code: 'bad-input' });
    expect(missing!.kind === 'error' && missing!.message).toContain('/nonexistent/model');

    const [noData] = await run({
      id: 'c2',
      kind: 'score',
      request: { model: TINY, data: '/nonexistent/docs.txt', ...ENGINE },
    });
    expect(noData).toMatchObject({ kind: 'error', code: 'bad-input' });
    expect(noData!.kind === 'error' && noData!.message).toContain('/nonexistent/docs.txt');

    // The worker re-checks what the CLI checks: an unknown method is bad input here too.
    const job = unlearnJob('c3', join(scratch, 'never'));
    const [method] = await run({ ...job, request: { ...job.request, method: 'nope' } });
    expect(method).toMatchObject({ kind: 'error', code: 'bad-input' });
    expect(existsSync(join(scratch, 'never'))).toBe(false);

    // The audit job reaches its task (src/worker/tasks/audit.ts), which checks its files.
    const [audit] = await run({
      id: 'c4',
      kind: 'audit',
      request: {
        model: TINY,
        forget: '/nonexistent/forget.txt',
        method: 'graddiff',
        out: join(scratch, 'audit-never'),
        ...ENGINE,
      },
    });
    expect(audit).toMatchObject({ kind: 'error', code: 'bad-input' });
    expect(audit!.kind === 'error' && audit!.message).toContain('/nonexistent/forget.txt');
    expect(existsSync(join(scratch, 'audit-never'))).toBe(false);

    const [unknown] = await run({ id: 'd', kind: 'explode' });
    expect(unknown).toMatchObject({ id: 'd', kind: 'error', code: 'unknown-job' });
    const [malformed] = await run({ id: 'd2', kind: 'score', request: { model: 7 } });
    expect(malformed).toMatchObject({ id: 'd2', kind: 'error', code: 'invalid-message' });
    expect(malformed!.kind === 'error' && malformed!.message).toContain('request');
    const [noId] = await run('not a job', '?');
    expect(noId).toMatchObject({ id: '?', kind: 'error', code: 'invalid-message' });

    const [again] = await run({ id: 'e', kind: 'inspect', request: { model: TINY } });
    expect(again).toMatchObject({ kind: 'result', job: 'inspect' });
  });

  it('cancels a queued job at once and a running unlearn job after a step, keeping its checkpoint', async () => {
    const dir = mkdtempSync(join(scratch, 'cancel-'));
    const out = join(dir, 'unlearned');
    let cancelled = false;
    const running = run(unlearnJob('u', out), 'u', (event) => {
      if (event.kind === 'step' && !cancelled) {
        cancelled = true;
        worker.send({ id: 'x', kind: 'cancel', target: 'u' });
      }
    });
    // Queued behind the unlearn job: cancelled without running.
    const queued = run({ id: 'q', kind: 'inspect', request: { model: TINY } });
    worker.send({ id: 'y', kind: 'cancel', target: 'q' });
    const [dropped] = await queued;
    expect(dropped).toMatchObject({ id: 'q', kind: 'error', code: 'cancelled' });

    const events = await running;
    const last = events.at(-1)!;
    expect(last).toMatchObject({ kind: 'error', code: 'cancelled' });
    if (last.kind !== 'error') return;
    expect(last.partial?.cancelled).toBe(true);
    expect(last.partial!.steps).toBeLessThan(last.partial!.totalSteps);
    expect(last.partial!.checkpoint).toBe(join(dir, '.unlearned.partial', 'checkpoint'));
    expect(readdirSync(dir)).toEqual(['.unlearned.partial']);
    expect(readdirSync(last.partial!.checkpoint!).sort()).toEqual([
      'state.json',
      'state.safetensors',
    ]);
  }, 120_000);
});
