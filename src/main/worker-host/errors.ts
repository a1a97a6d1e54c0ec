/** How a job run through the host fails: a stable code (worker-protocol.ts) and a message. */
import type { UnlearnReport } from '../../shared/training.ts';
import { exitCodeFor, type WorkerErrorCode } from '../../shared/worker-protocol.ts';

export class WorkerJobError extends Error {
  override readonly name: string = 'WorkerJobError';
  constructor(
    readonly code: WorkerErrorCode,
    message: string,
    /** A cancelled unlearn job's report (steps done, checkpoint folder). */
    readonly partial?: UnlearnReport,
  ) {
    super(message);
  }

  /** DESIGN.md §5: 2 for bad input, 1 for anything that failed during work. */
  get exitCode(): 1 | 2 {
    return exitCodeFor(this.code);
  }
}

/** The worker process died while the job ran; the host starts a fresh one for the next job. */
export class WorkerCrashed extends WorkerJobError {
  override readonly name = 'WorkerCrashed';
  constructor(
    code: 'worker-crashed' | 'out-of-memory',
    message: string,
    readonly exit: { readonly code: number | null; readonly signal: NodeJS.Signals | null },
  ) {
    super(code, message);
  }
}

const HEAP_EXHAUSTED = /heap out of memory|Reached heap limit|Allocation failed/i;

/**
 * What can be told from outside: V8 prints "JavaScript heap out of memory" before it aborts,
 * so that is out-of-memory. A SIGKILL may be the kernel's OOM killer or a person; the host
 * cannot tell them apart, so it says worker-crashed and mentions memory as a possible cause.
 */
export function crashError(
  code: number | null,
  signal: NodeJS.Signals | null,
  stderrTail: string,
): WorkerCrashed {
  const how = signal === null ? `exited with code ${code}` : `was killed by ${signal}`;
  if (HEAP_EXHAUSTED.test(stderrTail))
    return new WorkerCrashed(
      'out-of-memory',
      `the engine worker ran out of memory (${how}); try a smaller batchSize or maxLength`,
      { code, signal },
    );
  const hint = signal === 'SIGKILL' ? ' (the system may have run out of memory)' : '';
  const last = stderrTail.trim().split('\n').at(-1);
  return new WorkerCrashed(
    'worker-crashed',
    `the engine worker ${how}${hint}${last ? `: ${last}` : ''}`,
    { code, signal },
  );
}
