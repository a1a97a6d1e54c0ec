/**
 * Runs: start, cancel, resume, status, the history and one run in full.
 * Part of the app API (../app-api.ts), which holds the channel table.
 */
import { z } from 'zod';
import { RunManifest, RunState } from '../audit.ts';
import { BackendName, EvalReport } from '../contracts.ts';
import { CalibrationUpdate, TrainingLog, TrainingProgress } from '../training.ts';
import { RunConfigInput } from './methods.ts';
import { RunId, path } from './primitives.ts';

export const RunStartRequest = z.strictObject({
  model: path,
  forget: z.array(path).min(1).max(1000),
  retain: z.array(path).max(1000).optional(),
  holdout: z.array(path).max(1000).optional(),
  qa: path.optional(),
  reference: path.optional(),
  names: z.array(z.string().min(1).max(200)).max(1000).optional(),
  method: z.string().min(1).max(64),
  /** Hyperparameters; validated for the method like `--config` (unknown keys refused). */
  config: RunConfigInput.optional(),
  /** Default: the settings'. */
  backend: BackendName.optional(),
  seed: z
    .number()
    .int()
    .nonnegative()
    .max(2 ** 31 - 1)
    .optional(),
});
export type RunStartRequest = z.infer<typeof RunStartRequest>;
export const RunStartResponse = z.object({ runId: RunId, runDir: z.string() });

export const RunRef = z.strictObject({ runId: RunId });
/**
 * Names to protect are never stored (PII): resuming a run that had them, in a later session,
 * needs them again; the worker checks them against the hash in the manifest.
 */
export const RunResumeRequest = z.strictObject({
  runId: RunId,
  names: z.array(z.string().min(1).max(200)).max(1000).optional(),
});

export const RunPhase = z.enum(['validate', 'evalBefore', 'unlearn', 'evalAfter', 'report']);
export const RunStatus = z.object({
  runId: RunId,
  runDir: z.string(),
  /** `running` only while this process runs it; a run whose process died reads `cancelled`. */
  state: RunState,
  /** The phase the last progress event named; null before the first. */
  phase: RunPhase.nullable(),
  progress: z.object({ label: z.string(), done: z.number(), total: z.number() }).nullable(),
  /** Training steps so far (live while running, from training.json after). */
  steps: z.array(TrainingProgress),
  /** Calibrated mode's decisions so far (live while running, from training.json after). */
  decisions: z.array(CalibrationUpdate),
  message: z.string().nullable(),
  /** A cancelled or interrupted run with a checkpoint can be resumed. */
  resumable: z.boolean(),
});
export type RunStatus = z.infer<typeof RunStatus>;

export const RunSummary = z.object({
  runId: RunId,
  runDir: z.string(),
  state: RunState,
  method: z.string(),
  model: z.string(),
  started: z.string(),
  finished: z.string().nullable(),
  verdict: z.enum(['pass', 'fail']).nullable(),
  /** The signed report, when one was written. */
  report: z.string().nullable(),
  /** The report's ledger entry, when the ledger has one. */
  ledgerSeq: z.number().int().positive().nullable(),
  resumable: z.boolean(),
});
export type RunSummary = z.infer<typeof RunSummary>;
export const RunsListResponse = z.object({ runs: z.array(RunSummary) });

export const VerdictCriterion = z.object({
  id: z.string(),
  label: z.string(),
  pass: z.boolean(),
  detail: z.string(),
});
export const RunVerdict = z.object({ pass: z.boolean(), criteria: z.array(VerdictCriterion) });
export type RunVerdict = z.infer<typeof RunVerdict>;

export const RunDetails = z.object({
  summary: RunSummary,
  manifest: RunManifest,
  metricsBefore: EvalReport.nullable(),
  metricsAfter: EvalReport.nullable(),
  training: TrainingLog.nullable(),
  /** Null until both metrics documents exist. */
  verdict: RunVerdict.nullable(),
  /** What the run folder holds to export: the model, and the adapter for LoRA methods. */
  outputs: z.object({ model: z.string().nullable(), adapter: z.string().nullable() }),
});
export type RunDetails = z.infer<typeof RunDetails>;
