/**
 * `nepenthe audit` as a worker job: eval before → unlearn → eval after, written into a run
 * folder (DESIGN.md §5). The request names files; the worker reads and checks them.
 *
 * `manifest.json` (RunManifest) records a run folder: the inputs by path, size and sha256
 * only. No forget-set text, nor the `--names` of forget people (PII), ever goes into it, since
 * the signed report is built from it (DESIGN.md §6, §9).
 */
import { z } from 'zod';
import { BackendName, EvalReport } from './contracts.ts';
import { UnlearnReport } from './training.ts';

export const AuditRequest = z.object({
  /** The model folder to unlearn from. */
  model: z.string().min(1),
  forget: z.string().min(1),
  retain: z.string().min(1).optional(),
  holdout: z.string().min(1).optional(),
  /** QA pairs (JSONL) for the knowledge metrics. */
  qa: z.string().min(1).optional(),
  /** A model trained without the forget set, for forget quality and the reference attack. */
  reference: z.string().min(1).optional(),
  /** Names whose leakage the PII probes look for. */
  names: z.array(z.string()).optional(),
  method: z.string().min(1),
  /** Path of the run's --config JSON file. */
  config: z.string().min(1).optional(),
  /** The run folder. */
  out: z.string().min(1),
  /** Continue an interrupted run in `out` from its last checkpoint. */
  resume: z.boolean().optional(),
  backend: BackendName,
  seed: z.number().int().nonnegative(),
});
export type AuditRequest = z.infer<typeof AuditRequest>;

export const AuditResult = z.object({
  runDir: z.string(),
  /** `cancelled`: the run stopped at a checkpoint and can be resumed; never mistaken for done. */
  state: z.enum(['done', 'cancelled']),
  metricsBefore: EvalReport,
  /** Null when the run was cancelled before the after-evaluation. */
  metricsAfter: EvalReport.nullable(),
  training: UnlearnReport,
});
export type AuditResult = z.infer<typeof AuditResult>;

export const RunState = z.enum(['running', 'cancelled', 'failed', 'done']);
export type RunState = z.infer<typeof RunState>;

const Sha256 = z.string().regex(/^[0-9a-f]{64}$/);

/** One input file (or folder of them) or model folder: where, how big, its bytes' sha256. */
export const InputRecord = z.object({
  path: z.string(),
  bytes: z.number().int().nonnegative(),
  /** For a model folder: of its weight files in name order (as `inspect` prints). */
  sha256: Sha256,
});
export type InputRecord = z.infer<typeof InputRecord>;

export const PHASES = ['validate', 'evalBefore', 'unlearn', 'evalAfter'] as const;
export type Phase = (typeof PHASES)[number];

export const MANIFEST_SCHEMA = 'nepenthe.audit-run/1';

export const RunManifest = z.object({
  schema: z.literal(MANIFEST_SCHEMA),
  state: RunState,
  /** ISO times; `finished` is set when the state leaves 'running'. */
  started: z.string(),
  finished: z.string().nullable(),
  /** The process that runs (or ran) it: a 'running' manifest whose process is gone was killed. */
  pid: z.number().int(),
  /** Why the run failed or was cancelled. */
  message: z.string().nullable(),
  /** The request, paths absolute; `names` replaced by their count and hash (PII). */
  request: z.object({
    model: z.string(),
    forget: z.string(),
    retain: z.string().optional(),
    holdout: z.string().optional(),
    qa: z.string().optional(),
    reference: z.string().optional(),
    config: z.string().optional(),
    names: z.object({ count: z.number().int().nonnegative(), sha256: Sha256 }).optional(),
    method: z.string(),
    backend: BackendName,
    seed: z.number().int().nonnegative(),
  }),
  inputs: z.object({
    model: InputRecord,
    forget: InputRecord,
    retain: InputRecord.optional(),
    holdout: InputRecord.optional(),
    qa: InputRecord.optional(),
    reference: InputRecord.optional(),
    config: InputRecord.optional(),
  }),
  /**
   * A method that steers itself by unseen documents (targetnll): the holdout documents (ids)
   * that steered the run, and those the metrics evaluated (the run never read them).
   */
  holdoutSplit: z
    .object({ calibration: z.array(z.string()), evaluation: z.array(z.string()) })
    .optional(),
  method: z.string(),
  /** The resolved run configuration (defaults filled in), as training used it. */
  config: z.record(z.string(), z.unknown()),
  /** The backend that ran it (the request may say 'auto'). */
  backend: z.string(),
  seed: z.number().int().nonnegative(),
  versions: z.object({ nepenthe: z.string(), tfjs: z.string(), node: z.string() }),
  /** The machine the (last attempt of the) run used; absent in manifests from before it existed. */
  hardware: z
    .object({
      platform: z.string(),
      arch: z.string(),
      cpu: z.string(),
      cores: z.number().int().positive(),
      memoryBytes: z.number().int().nonnegative(),
      /** Why the backend was chosen and what it runs on (e.g. the GPU adapter). */
      backend: z.string(),
    })
    .optional(),
  /** Seconds per phase, summed over attempts when the run was resumed. */
  timings: z.partialRecord(z.enum(PHASES), z.number().nonnegative()),
  /** How many times the run was resumed. */
  resumes: z.number().int().nonnegative(),
  /** The training summary, once unlearning ended (finished or cancelled). */
  training: UnlearnReport.nullable(),
  /** sha256 of the unlearned model's weight files, once written. */
  output: z.object({ model: z.object({ sha256: Sha256 }).nullable() }),
});
export type RunManifest = z.infer<typeof RunManifest>;
