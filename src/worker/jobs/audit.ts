/**
 * The audit job: src/worker/tasks/audit.ts, loaded on first use (it pulls in the whole
 * pipeline). A literal specifier, so the desktop app's bundled worker (out/worker/worker.js)
 * carries it as a chunk; a computed URL would point at a source file the bundle does not have.
 */
import type { AuditRequest } from '../../shared/audit.ts';
import { JobCancelled, type JobContext } from './context.ts';

export async function runAuditTask(request: AuditRequest, context: JobContext): Promise<unknown> {
  const task = await import('../tasks/audit.ts');
  try {
    return await task.runAudit(request, {
      signal: context.signal,
      onProgress: context.progress,
      onStep: context.step,
      onDecision: context.decision,
      onLog: (message) => context.log(message),
    });
  } catch (error) {
    // Cancelled before there was a result (during the evaluation before unlearning).
    if (error instanceof task.AuditCancelled) throw new JobCancelled(error.message);
    throw error;
  }
}
