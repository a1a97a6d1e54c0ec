/**
 * The engine worker as the app runs it: a plain Node child process on an IPC channel with
 * `advanced` serialization. Jobs and events are validated against the shared zod schemas.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { WorkerEvent, type WorkerJob } from '../../src/shared/worker-protocol.ts';

const ENTRY = fileURLToPath(new URL('../../src/worker/index.ts', import.meta.url));
const TINY = fileURLToPath(new URL('../../resources/tiny-gpt2', import.meta.url));
const SAMPLE = fileURLToPath(new URL('../../resources/demo/sample.txt', import.meta.url));
const LLAMA = fileURLToPath(new URL('../fixtures/score/llama-bpe', import.meta.url));
const EVAL = (name: string) => fileURLToPath(new URL(`../fixtures/eval/${name}`, import.meta.url));

const worker: ChildProcess = fork(ENTRY, [], {
  execArgv: ['--import', 'tsx'],
  serialization: 'advanced',
  stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
});
afterAll(() => worker.kill());

/** Sends a job and collects its events until a final one (anything but progress). */
function run(job: WorkerJob | Record<string, unknown>): Promise<WorkerEvent[]> {
  return new Promise((resolve) => {
    const events: WorkerEvent[] = [];
    const onMessage = (message: unknown) => {
      const event = WorkerEvent.parse(message);
      if (event.id !== job.id) return;
      events.push(event);
      if (event.kind !== 'progress') {
        worker.off('message', onMessage);
        resolve(events);
      }
    };
    worker.on('message', onMessage);
    worker.send(job);
  });
}

describe('engine worker', () => {
  it('answers an inspect job', async () => {
    const [event] = await run({ id: 'a', kind: 'inspect', model: TINY });
    expect(event).toMatchObject({
      id: 'a',
      kind: 'inspected',
      report: { architecture: 'gpt2', vocab: 512 },
    });
  });

  it('scores with progress events', async () => {
    const events = await run({
      id: 'b',
      kind: 'score',
      model: TINY,
      data: SAMPLE,
      backend: 'wasm',
    });
    expect(events.some((e) => e.kind === 'progress')).toBe(true);
    const last = events.at(-1)!;
    expect(last.kind).toBe('scored');
    if (last.kind === 'scored') expect(last.report.documents[0]!.logprobs[0]).toBeNull();
  });

  it('evaluates with progress events', async () => {
    const events = await run({
      id: 'f',
      kind: 'eval',
      model: LLAMA,
      forget: EVAL('forget.jsonl'),
      holdout: EVAL('holdout.jsonl'),
      backend: 'wasm',
    });
    expect(events.some((e) => e.kind === 'progress')).toBe(true);
    const last = WorkerEvent.parse(events.at(-1));
    expect(last.kind).toBe('evaluated');
    if (last.kind === 'evaluated') {
      expect(last.report.sets.forget?.documents).toBe(8);
      expect(last.report.mia?.loss?.auc).toBe(1);
    }
  });

  it('reports bad input as an input error and an invalid job without crashing', async () => {
    const [missing] = await run({ id: 'c', kind: 'inspect', model: '/nonexistent/model' });
    expect(missing).toMatchObject({ kind: 'error', cause: 'input' });
    expect(missing!.kind === 'error' && missing!.message).toContain('/nonexistent/model');
    const [invalid] = await run({ id: 'd', kind: 'explode' });
    expect(invalid).toMatchObject({ id: 'd', kind: 'error', cause: 'input' });
    const [again] = await run({ id: 'e', kind: 'inspect', model: TINY });
    expect(again!.kind).toBe('inspected');
  });
});
