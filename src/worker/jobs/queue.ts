/**
 * One job at a time, in arrival order. Cancelling the running job aborts its signal (unlearn
 * and audit stop after the current step and keep their checkpoint; the other jobs are short
 * and finish); cancelling a queued job drops it and answers `cancelled` at once.
 */
import type { WorkJob, WorkerEvent } from '../../shared/worker-protocol.ts';
import { JobCancelled, type JobContext } from './context.ts';
import { errorEvent } from './errors.ts';

export type RunJob = (job: WorkJob, context: JobContext) => Promise<WorkerEvent>;

export class JobQueue {
  private readonly waiting: WorkJob[] = [];
  private running: { job: WorkJob; abort: AbortController } | undefined;

  constructor(
    private readonly runJob: RunJob,
    private readonly send: (event: WorkerEvent) => void,
  ) {}

  push(job: WorkJob): void {
    this.waiting.push(job);
    if (this.running === undefined) void this.drain();
  }

  cancel(target: string): void {
    if (this.running?.job.id === target) {
      this.running.abort.abort();
      return;
    }
    const index = this.waiting.findIndex((j) => j.id === target);
    if (index < 0) return; // finished already, or never sent: nothing to do
    this.waiting.splice(index, 1);
    this.send(errorEvent(target, new JobCancelled('cancelled before it started')));
  }

  private async drain(): Promise<void> {
    for (let job = this.waiting.shift(); job !== undefined; job = this.waiting.shift()) {
      const abort = new AbortController();
      this.running = { job, abort };
      const { id } = job;
      const context: JobContext = {
        signal: abort.signal,
        progress: (label, done, total) => this.send({ id, kind: 'progress', label, done, total }),
        step: (progress) => this.send({ id, kind: 'step', progress }),
        decision: (update) => this.send({ id, kind: 'decision', update }),
        log: (message, level = 'info') => this.send({ id, kind: 'log', level, message }),
      };
      let answer: WorkerEvent;
      try {
        answer = await this.runJob(job, context);
      } catch (error) {
        answer = errorEvent(id, error);
      }
      this.running = undefined;
      this.send(answer);
    }
  }
}
