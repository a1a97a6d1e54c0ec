/**
 * Supervises the engine worker: starts it on first use, feeds it one job at a time from a
 * queue, validates every event it sends, and turns its death during a job into a rejected job
 * (`WorkerCrashed`) followed by a fresh worker for the next one. No Electron here: the CLI
 * and the tests use this host, so they exercise what the app runs.
 */
import type { ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { CalibrationUpdate, TrainingProgress } from '../../shared/training.ts';
import {
  WorkJob,
  WorkerEvent,
  type JobKind,
  type JobOf,
  type ResultOf,
} from '../../shared/worker-protocol.ts';
import { crashError, WorkerJobError } from './errors.ts';
import { developmentLaunch, forkWorker, type WorkerLaunch } from './launch.ts';

export interface RunHooks {
  onProgress?(label: string, done: number, total: number): void;
  onStep?(progress: TrainingProgress): void;
  onDecision?(update: CalibrationUpdate): void;
  onLog?(level: 'info' | 'warn', message: string): void;
}

export interface WorkerHostOptions {
  /** Override the worker's entry and Node binary (the packaged app). */
  readonly launch?: WorkerLaunch;
  /** The worker's own stdout/stderr (tfjs warnings, a V8 fatal error); default: dropped. */
  readonly onOutput?: (text: string) => void;
}

interface Pending {
  readonly job: WorkJob;
  readonly hooks: RunHooks;
  readonly resolve: (result: unknown) => void;
  readonly reject: (error: WorkerJobError) => void;
}

/** The last bytes of the worker's stderr, enough for V8's fatal-error banner. */
const STDERR_TAIL = 4096;

export function newJobId(): string {
  return randomUUID();
}

export class WorkerHost {
  private readonly launch: WorkerLaunch;
  private child: ChildProcess | undefined;
  /** The launch's verify (once, before the first start): passed, running, or why it failed. */
  private verified = false;
  private verifying: Promise<void> | undefined;
  private verifyFailure: string | undefined;
  private stderrTail = '';
  private readonly waiting: Pending[] = [];
  private current: Pending | undefined;
  private disposed = false;

  constructor(private readonly options: WorkerHostOptions = {}) {
    this.launch = options.launch ?? developmentLaunch();
  }

  /** The worker's process id while one is running (tests kill it to simulate a crash). */
  get pid(): number | undefined {
    return this.child?.pid;
  }

  /** Queues a job; resolves with its result, rejects with a `WorkerJobError`. */
  run<K extends JobKind>(job: JobOf<K>, hooks: RunHooks = {}): Promise<ResultOf<K>> {
    return new Promise<ResultOf<K>>((resolve, reject) => {
      if (this.disposed) throw new WorkerJobError('failed', 'the worker host has been disposed');
      const parsed = WorkJob.safeParse(job);
      if (!parsed.success)
        throw new WorkerJobError(
          'invalid-message',
          `invalid job: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
        );
      this.waiting.push({
        job: parsed.data,
        hooks,
        resolve: resolve as (result: unknown) => void,
        reject,
      });
      this.pump();
    });
  }

  /** Cancels a queued job at once, or asks the worker to stop the running one after its step. */
  cancel(jobId: string): void {
    const index = this.waiting.findIndex((p) => p.job.id === jobId);
    if (index >= 0) {
      const [pending] = this.waiting.splice(index, 1);
      pending!.reject(new WorkerJobError('cancelled', 'cancelled before it started'));
    } else if (this.current?.job.id === jobId) {
      this.child?.send({ id: `cancel-${jobId}`, kind: 'cancel', target: jobId });
    }
  }

  /** Rejects what is queued and stops the worker; a running job rejects as cancelled. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const gone = new WorkerJobError('cancelled', 'the worker host was disposed');
    for (const pending of this.waiting.splice(0)) pending.reject(gone);
    this.finish((p) => p.reject(gone));
    const child = this.child;
    if (child === undefined) return;
    const closed = new Promise<void>((resolve) => child.once('close', () => resolve()));
    child.kill();
    await closed;
  }

  private pump(): void {
    if (this.current !== undefined || this.disposed) return;
    if (this.verifyFailure === undefined && !this.verified && this.launch.verify !== undefined) {
      // Once, before the first start; asynchronous, so the desktop app's main process keeps
      // answering while the files are hashed. Jobs wait in the queue meanwhile.
      this.verifying ??= this.launch
        .verify()
        .then(
          () => void (this.verified = true),
          (error: unknown) =>
            void (this.verifyFailure = error instanceof Error ? error.message : String(error)),
        )
        .finally(() => {
          this.verifying = undefined;
          this.pump();
        });
      return;
    }
    const next = this.waiting.shift();
    if (next === undefined) return;
    this.current = next;
    if (this.verifyFailure !== undefined) {
      // The installation is not what was packaged: no job runs (manifest.ts).
      const failure = this.verifyFailure;
      this.finish((p) => p.reject(new WorkerJobError('worker-crashed', failure)));
      return this.pump();
    }
    const child = this.child ?? this.start();
    child.send(next.job, (error) => {
      // The channel closed under us: the close handler reports the crash.
      if (error && this.current === next && this.child !== child)
        this.finish((p) => p.reject(new WorkerJobError('worker-crashed', error.message)));
    });
  }

  private start(): ChildProcess {
    const child = forkWorker(this.launch);
    this.child = child;
    this.stderrTail = '';
    child.stdout?.setEncoding('utf8').on('data', (text: string) => this.options.onOutput?.(text));
    child.stderr?.setEncoding('utf8').on('data', (text: string) => {
      this.stderrTail = (this.stderrTail + text).slice(-STDERR_TAIL);
      this.options.onOutput?.(text);
    });
    child.on('message', (message: unknown) => this.onMessage(message));
    child.on('error', (error) => {
      // Spawn failures (no such node binary) never reach 'close' with a job's state known.
      if (this.child === child && child.pid === undefined) {
        this.child = undefined;
        this.finish((p) =>
          p.reject(
            new WorkerJobError(
              'worker-crashed',
              `cannot start the engine worker: ${error.message}`,
            ),
          ),
        );
        this.pump();
      }
    });
    // 'close', not 'exit': stderr is fully read by then, so V8's OOM banner is in the tail.
    child.on('close', (code, signal) => {
      if (this.child !== child) return;
      this.child = undefined;
      this.finish((p) => p.reject(crashError(code, signal, this.stderrTail)));
      this.pump(); // a fresh worker for whatever waits
    });
    return child;
  }

  private onMessage(message: unknown): void {
    const parsed = WorkerEvent.safeParse(message);
    const pending = this.current;
    if (pending === undefined) return;
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      this.finish((p) =>
        p.reject(
          new WorkerJobError(
            'invalid-message',
            `the engine worker sent an invalid event (${issue?.path.join('.')}: ${issue?.message})`,
          ),
        ),
      );
      this.pump();
      return;
    }
    const event = parsed.data;
    if (event.id !== pending.job.id) return; // a late event of a job already settled
    switch (event.kind) {
      case 'progress':
        pending.hooks.onProgress?.(event.label, event.done, event.total);
        return;
      case 'step':
        pending.hooks.onStep?.(event.progress);
        return;
      case 'decision':
        pending.hooks.onDecision?.(event.update);
        return;
      case 'log':
        pending.hooks.onLog?.(event.level, event.message);
        return;
      case 'result':
        if (event.job !== pending.job.kind)
          this.finish((p) =>
            p.reject(
              new WorkerJobError(
                'invalid-message',
                `the engine worker answered a ${pending.job.kind} job with a ${event.job} result`,
              ),
            ),
          );
        else this.finish((p) => p.resolve(event.result));
        break;
      case 'error':
        this.finish((p) => p.reject(new WorkerJobError(event.code, event.message, event.partial)));
        break;
    }
    this.pump();
  }

  private finish(settle: (pending: Pending) => void): void {
    const pending = this.current;
    this.current = undefined;
    if (pending !== undefined) settle(pending);
  }
}
