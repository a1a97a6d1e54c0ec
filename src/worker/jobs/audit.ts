/**
 * The audit job. Its task (src/worker/tasks/audit.ts) is written separately; it is loaded on
 * first use so that the worker still starts, and answers a clear error, while it is missing.
 */
import type { AuditRequest, AuditResult } from '../../shared/audit.ts';
import type { TrainingProgress } from '../../shared/training.ts';
import type { JobContext } from './context.ts';

interface AuditTask {
  runAudit(
    request: AuditRequest,
    hooks: {
      signal?: AbortSignal;
      onProgress?(label: string, done: number, total: number): void;
      onStep?(progress: TrainingProgress): void;
      onLog?(message: string): void;
    },
  ): Promise<AuditResult>;
}

const TASK = new URL('../tasks/audit.ts', import.meta.url).href;

export async function runAuditTask(request: AuditRequest, context: JobContext): Promise<unknown> {
  let task: AuditTask;
  try {
    task = (await import(/* @vite-ignore */ TASK)) as AuditTask;
  } catch (error) {
    if ((error as { code?: string }).code === 'ERR_MODULE_NOT_FOUND')
      throw new Error(
        'the audit task is not part of this build (src/worker/tasks/audit.ts is missing)',
      );
    throw error;
  }
  return task.runAudit(request, {
    signal: context.signal,
    onProgress: context.progress,
    onStep: context.step,
    onLog: (message) => context.log(message),
  });
}
