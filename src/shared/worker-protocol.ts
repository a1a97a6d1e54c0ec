/**
 * Messages between the app (main process or CLI) and the engine worker (DESIGN.md §2),
 * validated on both sides. A job goes in with an id; `progress`, `step` and `log` events come
 * out tagged with that id, then exactly one `result` or `error`. A `cancel` job has no answer
 * of its own: the job it targets ends with `error{code:'cancelled'}` (an audit cancelled after
 * its first evaluation ends with its result marked `state: 'cancelled'`, since a cancelled audit
 * run folder is itself a result; one cancelled during that evaluation has no result to give and
 * ends with the error, its run folder marked cancelled).
 */
import { z } from 'zod';
import { AuditRequest, AuditResult } from './audit.ts';
import {
  BackendName,
  EvalReport,
  GenerateReport,
  InspectReport,
  PruneReport,
  ScoreReport,
} from './contracts.ts';
import { CalibrationUpdate, TrainingProgress, UnlearnReport } from './training.ts';

const path = z.string().min(1);

/** Every job that runs the tensor engine says on which backend and with which seed. */
const engine = { backend: BackendName, seed: z.number().int().nonnegative() };

export const InspectRequest = z.object({ model: path });
export const ScoreRequest = z.object({
  model: path,
  data: path,
  maxLength: z.number().int().positive().optional(),
  ...engine,
});
export const GenerateRequest = z.object({
  model: path,
  prompt: z.string(),
  maxNewTokens: z.number().int().positive(),
  ...engine,
});
export const EvalRequest = z.object({
  model: path,
  forget: path,
  retain: path.optional(),
  holdout: path.optional(),
  qa: path.optional(),
  reference: path.optional(),
  names: z.array(z.string()).readonly().optional(),
  ...engine,
});
/** The CLI's strings as given (`--sparsity 0.5`, `--pattern 2:4`): the worker parses them. */
export const PruneRequest = z.object({
  model: path,
  method: z.string(),
  sparsity: z.string().optional(),
  pattern: z.string().optional(),
  calib: path.optional(),
  out: path,
  ...engine,
});
export const UnlearnRequest = z.object({
  model: path,
  forget: path,
  retain: path.optional(),
  /** Held-out documents for the method's decisions only (targetnll). */
  calibration: path.optional(),
  method: z.string(),
  /** Path of the --config JSON file. */
  config: path.optional(),
  out: path,
  resume: z.boolean().optional(),
  ...engine,
});

/** Which backend the engine would run on here, and on what (the app's About panel). */
export const DescribeRequest = z.object({
  backend: BackendName,
  seed: z.number().int().nonnegative().optional(),
});
export const EngineDescription = z.object({
  /** The backend selected (auto resolved). */
  backend: z.string(),
  /** Why it was chosen and what it runs on, as the audit manifest's `hardware.backend`. */
  description: z.string(),
  /** The GPU's memory when the driver reports it; null on CPU backends or when unknown. */
  gpuMemoryBytes: z.number().nonnegative().nullable(),
});
export type EngineDescription = z.infer<typeof EngineDescription>;

const id = z.string().min(1);
const job = <K extends string, R extends z.ZodType>(kind: K, request: R) =>
  z.object({ id, kind: z.literal(kind), request });

export const InspectJob = job('inspect', InspectRequest);
export const ScoreJob = job('score', ScoreRequest);
export const GenerateJob = job('generate', GenerateRequest);
export const EvalJob = job('eval', EvalRequest);
export const PruneJob = job('prune', PruneRequest);
export const UnlearnJob = job('unlearn', UnlearnRequest);
export const AuditJob = job('audit', AuditRequest);
export const DescribeJob = job('describe', DescribeRequest);
export const CancelJob = z.object({ id, kind: z.literal('cancel'), target: id });

/** Jobs that do work and end in a result or an error. */
export const WorkJob = z.discriminatedUnion('kind', [
  InspectJob,
  ScoreJob,
  GenerateJob,
  EvalJob,
  PruneJob,
  UnlearnJob,
  AuditJob,
  DescribeJob,
]);
export type WorkJob = z.infer<typeof WorkJob>;
export type JobKind = WorkJob['kind'];
export type JobOf<K extends JobKind> = Extract<WorkJob, { kind: K }>;

export const WorkerJob = z.discriminatedUnion('kind', [...WorkJob.options, CancelJob]);
export type WorkerJob = z.infer<typeof WorkerJob>;

/** What each job kind answers with. */
export const JOB_RESULTS = {
  inspect: InspectReport,
  score: ScoreReport,
  generate: GenerateReport,
  eval: EvalReport,
  prune: PruneReport,
  unlearn: UnlearnReport,
  audit: AuditResult,
  describe: EngineDescription,
} as const satisfies Record<JobKind, z.ZodType>;
export type ResultOf<K extends JobKind> = z.infer<(typeof JOB_RESULTS)[K]>;

const result = <K extends JobKind>(kind: K) =>
  z.object({ id, kind: z.literal('result'), job: z.literal(kind), result: JOB_RESULTS[kind] });

export const ResultEvent = z.discriminatedUnion('job', [
  result('inspect'),
  result('score'),
  result('generate'),
  result('eval'),
  result('prune'),
  result('unlearn'),
  result('audit'),
  result('describe'),
]);
export type ResultEvent = z.infer<typeof ResultEvent>;

/**
 * Stable codes a caller can branch on. `bad-input`: the user's files or options are at fault;
 * `invalid-message`: the message is not a job at all; `unknown-job`: a kind this worker does
 * not know; `worker-crashed` / `out-of-memory`: the host saw the worker die (or the worker
 * caught an allocation failure).
 */
export const WorkerErrorCode = z.enum([
  'bad-input',
  'failed',
  'cancelled',
  'worker-crashed',
  'out-of-memory',
  'invalid-message',
  'unknown-job',
]);
export type WorkerErrorCode = z.infer<typeof WorkerErrorCode>;

/** DESIGN.md §5: 2 for bad input or usage, 1 for a failure during work. */
export function exitCodeFor(code: WorkerErrorCode): 1 | 2 {
  return code === 'bad-input' ? 2 : 1;
}

export const WorkerEvent = z.discriminatedUnion('kind', [
  z.object({
    id,
    kind: z.literal('progress'),
    label: z.string(),
    done: z.number(),
    total: z.number(),
  }),
  /** One optimizer step of an unlearning run (live loss curves). */
  z.object({ id, kind: z.literal('step'), progress: TrainingProgress }),
  /** One decision of calibrated mode, as it is taken (live view of the stopping rule). */
  z.object({ id, kind: z.literal('decision'), update: CalibrationUpdate }),
  z.object({
    id,
    kind: z.literal('log'),
    level: z.enum(['info', 'warn']),
    message: z.string(),
  }),
  ResultEvent,
  z.object({
    /** The job's id, or '?' when the message that failed carried none. */
    id: z.string(),
    kind: z.literal('error'),
    code: WorkerErrorCode,
    message: z.string(),
    /** A cancelled unlearn job's report: steps done and the checkpoint to resume from. */
    partial: UnlearnReport.optional(),
  }),
]);
export type WorkerEvent = z.infer<typeof WorkerEvent>;
export type ErrorEvent = Extract<WorkerEvent, { kind: 'error' }>;
