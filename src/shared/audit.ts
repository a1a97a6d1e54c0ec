/**
 * `nepenthe audit` as a worker job: eval before → unlearn → eval after, written into a run
 * folder (DESIGN.md §5). The request names files; the worker reads and checks them.
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
