/**
 * Messages between the app (main process or CLI) and the engine worker, validated on both
 * sides. Jobs go in; progress, results and errors come out, tagged with the job id.
 */
import { z } from 'zod';
import { BackendName, EvalReport, InspectReport, ScoreReport } from './contracts.ts';

export const WorkerJob = z.discriminatedUnion('kind', [
  z.object({ id: z.string(), kind: z.literal('inspect'), model: z.string() }),
  z.object({
    id: z.string(),
    kind: z.literal('score'),
    model: z.string(),
    data: z.string(),
    backend: BackendName,
  }),
  /** The CLI's `eval`: paths of documents (and QA pairs), optional reference model. */
  z.object({
    id: z.string(),
    kind: z.literal('eval'),
    model: z.string(),
    forget: z.string(),
    retain: z.string().optional(),
    holdout: z.string().optional(),
    qa: z.string().optional(),
    reference: z.string().optional(),
    names: z.array(z.string()).optional(),
    backend: BackendName,
  }),
  z.object({ id: z.string(), kind: z.literal('cancel'), target: z.string() }),
]);
export type WorkerJob = z.infer<typeof WorkerJob>;

export const WorkerEvent = z.discriminatedUnion('kind', [
  z.object({
    id: z.string(),
    kind: z.literal('progress'),
    label: z.string(),
    done: z.number(),
    total: z.number(),
  }),
  z.object({ id: z.string(), kind: z.literal('inspected'), report: InspectReport }),
  z.object({ id: z.string(), kind: z.literal('scored'), report: ScoreReport }),
  z.object({ id: z.string(), kind: z.literal('evaluated'), report: EvalReport }),
  z.object({
    id: z.string(),
    kind: z.literal('error'),
    /** `input`: the user's files are at fault (exit 2); `failure`: the work failed (exit 1). */
    cause: z.enum(['input', 'failure']),
    message: z.string(),
  }),
]);
export type WorkerEvent = z.infer<typeof WorkerEvent>;
