/**
 * Runs a command's engine work in the worker process through the same host the app uses
 * (DESIGN.md §2), one host per command: worker log lines and progress go to the CLI's stderr.
 */
import type { JobKind, JobOf, ResultOf } from '../shared/worker-protocol.ts';
import type { TrainingProgress } from '../shared/training.ts';
import { decisionLine } from '../shared/calibration-text.ts';
import { newJobId, WorkerHost } from '../main/worker-host/index.ts';
import type { Progress } from './progress.ts';

export interface WorkerRunOptions {
  readonly onStep?: (progress: TrainingProgress) => void;
  /** Ctrl-C (and SIGTERM) cancel the job instead of ending the CLI; this line is printed. */
  readonly cancelNote?: string;
}

export async function runInWorker<K extends JobKind>(
  kind: K,
  request: JobOf<K>['request'],
  progress: Progress,
  options: WorkerRunOptions = {},
): Promise<ResultOf<K>> {
  const host = new WorkerHost({
    // The worker's own output (a V8 fatal error, tfjs warnings) only when debugging: stderr
    // is for progress and the one-line error (DESIGN.md §5).
    ...(process.env.NEPENTHE_DEBUG ? { onOutput: (text) => process.stderr.write(text) } : {}),
  });
  const id = newJobId();
  const onSignal = () => {
    if (options.cancelNote !== undefined) progress.note(options.cancelNote);
    host.cancel(id);
  };
  if (options.cancelNote !== undefined) {
    process.once('SIGINT', onSignal);
    process.once('SIGTERM', onSignal);
  }
  try {
    return await host.run({ id, kind, request } as JobOf<K>, {
      onProgress: (label, done, total) => progress.step(label, done, total),
      onLog: (_level, message) => progress.note(message),
      onDecision: (update) => progress.note(decisionLine(update)),
      ...(options.onStep ? { onStep: options.onStep } : {}),
    });
  } finally {
    process.off('SIGINT', onSignal);
    process.off('SIGTERM', onSignal);
    await host.dispose();
  }
}
