/** What a running job may do besides computing: report progress, steps and log lines, and see cancellation. */
import type { CalibrationUpdate, TrainingProgress, UnlearnReport } from '../../shared/training.ts';

export interface JobContext {
  readonly signal: AbortSignal;
  progress(label: string, done: number, total: number): void;
  step(progress: TrainingProgress): void;
  /** A decision of calibrated mode, as it is taken. */
  decision(update: CalibrationUpdate): void;
  log(message: string, level?: 'info' | 'warn'): void;
}

/** Thrown by a handler whose job was cancelled; `partial` is what it got done. */
export class JobCancelled extends Error {
  override readonly name = 'JobCancelled';
  constructor(
    message: string,
    readonly partial?: UnlearnReport,
  ) {
    super(message);
  }
}
