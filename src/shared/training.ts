/**
 * `training.json`: one record per optimizer step of an unlearning run, and the events the
 * worker sends while it trains. The report plots these (loss curves, gradient and adapter norms).
 */
import { z } from 'zod';

export const StepRecord = z.object({
  /** 1-based optimizer step. */
  step: z.number().int().positive(),
  /** 0-based epoch over the forget set. */
  epoch: z.number().int().nonnegative(),
  lr: z.number(),
  /** The minimized loss, averaged over the step's micro-batches. */
  loss: z.number(),
  /** Named terms (forgetNll, retainNll, kl, npo, ...), averaged the same way. */
  terms: z.record(z.string(), z.number()),
  /** Global L2 norm of the trainable gradients before clipping (after SAU's rewrite). */
  gradNorm: z.number(),
  /** Real tokens fed forward (forget + retain + normal sequences). */
  tokens: z.number().int().nonnegative(),
  tokensPerSecond: z.number(),
  seconds: z.number(),
  /** Method numbers: adapterNorm, deltaNorm (bounded), rate (sga). */
  extra: z.record(z.string(), z.number()),
});
export type StepRecord = z.infer<typeof StepRecord>;

/** The membership attack whose AUC calibrated mode reads. */
export const CalibrationAttackName = z.enum(['loss', 'minK']);
export type CalibrationAttackName = z.infer<typeof CalibrationAttackName>;

/** One decision of calibrated mode (src/worker/unlearn/calibrated.ts). */
export const CalibrationDecision = z.object({
  /** The optimizer step after which it was taken (0: before training). */
  step: z.number().int().nonnegative(),
  action: z.enum(['start', 'accept', 'speedup', 'backoff', 'stop']),
  /** The attack's AUC (calibration.attack), forget against calibration sequences, at this check. */
  auc: z.number(),
  /** Calibration sequences' mean NLL minus the forget sequences' (nats). */
  gap: z.number(),
  /** Mean NLL of the retain probe sequences at this check. */
  retainNll: z.number(),
  /**
   * Share of the retain probe the model recites greedily (32 tokens after 32); null when not
   * measured (the probe recited nothing before training, so there is nothing to keep).
   */
  retainRecited: z.number().min(0).max(1).nullable(),
  /** The learning rate's factor after the decision. */
  lrScale: z.number().positive(),
  reason: z.string(),
});
export type CalibrationDecision = z.infer<typeof CalibrationDecision>;

/** A decision as it is taken, with what the rule aims at (the live view of a calibrated run). */
export const CalibrationUpdate = z.object({
  decision: CalibrationDecision,
  targetAuc: z.number(),
  attack: CalibrationAttackName,
});
export type CalibrationUpdate = z.infer<typeof CalibrationUpdate>;

/** The stopping rule's constants as the run used them (docs/methods.md "Calibrated mode"). */
export const CalibrationRule = z.object({
  /** Back off when the AUC falls below targetAuc − band (over-unlearned). */
  band: z.number().nonnegative(),
  /** Stop when the AUC is at most targetAuc + stopMargin. */
  stopMargin: z.number().nonnegative(),
  /** Back off when the retain probe's NLL rose by more than this share of its value before… */
  retainMargin: z.number().nonnegative(),
  /** …and by more than this many nats. */
  retainSlack: z.number().nonnegative(),
  /** Back off when the retain probe recites less than this share of what it recited before. */
  retainKept: z.number().min(0).max(1),
  maxBackoffs: z.number().int().nonnegative(),
  /** The learning rate is never raised above this multiple of the configured one. */
  maxLrScale: z.number().positive(),
});
export type CalibrationRule = z.infer<typeof CalibrationRule>;

export const TrainingLog = z.object({
  method: z.string(),
  config: z.record(z.string(), z.unknown()),
  backend: z.string(),
  forgetSequences: z.number().int().nonnegative(),
  retainSequences: z.number().int().nonnegative(),
  totalSteps: z.number().int().nonnegative(),
  /** Step a resumed run continued from (0 when it ran from the start). */
  resumedFrom: z.number().int().nonnegative(),
  cancelled: z.boolean(),
  /**
   * The run ended before its last step (calibrated mode reached its target; step 0: before the
   * first step, the forget set already looked unseen).
   */
  stoppedEarly: z.object({ step: z.number().int().nonnegative(), reason: z.string() }).optional(),
  /** Calibrated mode's target and decisions; absent for a run with a fixed lr and epochs. */
  calibration: z
    .object({
      targetAuc: z.number(),
      /** The attack whose AUC the decisions read (absent in logs before it could be chosen: loss). */
      attack: CalibrationAttackName.optional(),
      checkEvery: z.number().int().positive(),
      calibrationSequences: z.number().int().positive(),
      /** The rule's constants (absent in logs written before they were recorded). */
      rule: CalibrationRule.optional(),
      decisions: z.array(CalibrationDecision),
    })
    .optional(),
  steps: z.array(StepRecord),
});
export type TrainingLog = z.infer<typeof TrainingLog>;

/** A progress event of a running unlearning job. */
export const TrainingProgress = z.object({
  step: z.number().int().positive(),
  totalSteps: z.number().int().positive(),
  epoch: z.number().int().nonnegative(),
  loss: z.number(),
  terms: z.record(z.string(), z.number()),
  gradNorm: z.number(),
  lr: z.number(),
  tokensPerSecond: z.number(),
  etaSeconds: z.number(),
});
export type TrainingProgress = z.infer<typeof TrainingProgress>;

/** What `nepenthe unlearn --json` prints. */
export const UnlearnReport = z.object({
  method: z.string(),
  /** The unlearned model folder (absent when the run was cancelled). */
  out: z.string().nullable(),
  /** Folder holding the checkpoint of a cancelled run, for --resume. */
  checkpoint: z.string().nullable(),
  backend: z.string(),
  steps: z.number().int().nonnegative(),
  totalSteps: z.number().int().nonnegative(),
  resumedFrom: z.number().int().nonnegative(),
  cancelled: z.boolean(),
  stoppedEarly: z.object({ step: z.number().int().nonnegative(), reason: z.string() }).optional(),
  forget: z.object({ sequences: z.number().int(), tokens: z.number().int() }),
  retain: z.object({ sequences: z.number().int(), tokens: z.number().int() }).nullable(),
  finalLoss: z.number().nullable(),
  seconds: z.number(),
});
export type UnlearnReport = z.infer<typeof UnlearnReport>;
