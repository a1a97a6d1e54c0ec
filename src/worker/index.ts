/**
 * The engine worker: a plain Node process (DESIGN.md §2) that takes jobs over the IPC channel
 * (`advanced` serialization), validates them, runs them one at a time, and answers with typed
 * events (src/shared/worker-protocol.ts). A bad message or a failing job is answered with an
 * error event; nothing a caller sends ends the process.
 */
import { WorkerEvent, WorkerJob, type WorkJob } from '../shared/worker-protocol.ts';
import { errorEvent, invalidMessageEvent } from './jobs/errors.ts';
import { HANDLERS } from './jobs/handlers.ts';
import { JobQueue } from './jobs/queue.ts';

function send(event: WorkerEvent): void {
  process.send?.(WorkerEvent.parse(event));
}

async function runJob(job: WorkJob, context: Parameters<typeof HANDLERS.inspect>[1]) {
  const handler = HANDLERS[job.kind] as (j: WorkJob, c: typeof context) => Promise<unknown>;
  const result = await handler(job, context);
  return WorkerEvent.parse({ id: job.id, kind: 'result', job: job.kind, result });
}

const queue = new JobQueue(runJob, (event) => {
  try {
    send(event);
  } catch (error) {
    // A result that does not match its schema is the worker's bug: say so instead of it.
    send(errorEvent(event.id, error));
  }
});

process.on('message', (message: unknown) => {
  const parsed = WorkerJob.safeParse(message);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    send(
      invalidMessageEvent(message, `${issue?.path.join('.') || '(message)'}: ${issue?.message}`),
    );
    return;
  }
  if (parsed.data.kind === 'cancel') queue.cancel(parsed.data.target);
  else queue.push(parsed.data);
});

// Ctrl-C in a terminal reaches the whole process group; the host decides what to cancel.
process.on('SIGINT', () => {});
// The host is gone (closed, or died): nobody can receive results any more.
process.on('disconnect', () => process.exit(0));
