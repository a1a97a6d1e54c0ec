/**
 * What an unlearning method is to the trainer. A method is one small module (methods/) that,
 * given the model and the tokenized sets, prepares what it needs once (reference terms,
 * neighbours, adapters, masks) and then supplies the loss of each micro-batch. The trainer owns
 * everything else: batching, gradient accumulation, clipping, AdamW, the schedule, checkpoints,
 * progress and records.
 */
import type * as tf from '@tensorflow/tfjs';
import type { CausalLM } from '../model/architectures/types.ts';
import type { Batch, TokenSequence } from './batch.ts';
import type { RunConfig } from './config.ts';

export interface MethodContext {
  readonly model: CausalLM;
  readonly forget: readonly TokenSequence[];
  /** Empty when the run has no retain set (only methods with `needsRetain: false` get one). */
  readonly retain: readonly TokenSequence[];
  /** Common and method keys, validated, defaults filled in. */
  readonly config: RunConfig;
  /**
   * Held-out documents of the forget set's kind, never trained on, for decisions only (the
   * target loss of `targetnll`); absent when the run has none.
   */
  readonly calibration?: readonly TokenSequence[];
  readonly onProgress?: (label: string, done: number, total: number) => void;
  /** One line for the run's log (SGA: the rate it estimated). */
  readonly onLog?: (line: string) => void;
}

/** One micro-batch: forget rows, and retain rows when the run has a retain set. */
export interface StepInput {
  readonly forget: Batch;
  readonly retain: Batch | null;
  /** Optimizer step this micro-batch belongs to (0-based). */
  readonly step: number;
}

/** The loss to minimize and its named terms (for the records), all scalars. */
export interface LossTerms {
  readonly total: tf.Scalar;
  readonly terms: Readonly<Record<string, tf.Scalar>>;
}

/** A prepared method for one run. */
export interface MethodRun {
  /** The variables the optimizer updates, by name (all model parameters unless adapters). */
  readonly trainable: ReadonlyMap<string, tf.Variable>;
  /** Runs outside the gradient tape before each micro-batch (SGA: its normal-sequence batches). */
  beforeMicroBatch?(input: StepInput): Promise<void>;
  /** The loss of one micro-batch; called inside `tf.variableGrads`, so only differentiable ops. */
  loss(input: StepInput): LossTerms;
  /**
   * Rewrites the accumulated gradients before clipping (SAU: masking, redistribution).
   * Returns new tensors; the trainer disposes the old and the new.
   */
  transformGradients?(grads: ReadonlyMap<string, tf.Tensor>): Map<string, tf.Tensor>;
  /** After each optimizer update (SAU: re-impose the zeros). */
  afterUpdate?(): void;
  /** Tokens the last micro-batch fed forward besides its forget and retain rows (SGA's normal sequences). */
  extraTokens?(): number;
  /** Extra numbers for this step's record (adapter norms, the SGA rate). */
  stepLog?(): Record<string, number> | Promise<Record<string, number>>;
  /**
   * Ends the run: leaves the final weights in the model's parameters (adapters merged) and
   * writes any extra output into `outFolder` (the bounded method's adapter/).
   */
  finish?(outFolder: string): Promise<void>;
  dispose(): void;
}

export interface UnlearningMethod {
  readonly name: string;
  /** One line for `--help` and the app. */
  readonly summary: string;
  /** Whether the loss uses the retain set (the run stops with exit 2 when it is missing). */
  readonly needsRetain: boolean | ((config: RunConfig) => boolean);
  /**
   * Whether the run needs calibration documents (held-out, never trained on) with `config`:
   * targetnll without a `targetNll`. An audit gives it half its holdout (data/holdout-split.ts);
   * the app does not offer such a method yet.
   */
  readonly needsCalibration?: (config: RunConfig) => boolean;
  /** The method keys of the config this method reads (the trainer's common keys aside). */
  readonly keys: readonly string[];
  /**
   * Defaults that differ for this method (bounded: lr 2e-4), or a function of the config as
   * given (SAU: its base method's).
   */
  readonly defaults?: Partial<RunConfig> | ((raw: Record<string, unknown>) => Partial<RunConfig>);
  /**
   * Calibrated mode's starting learning rate (calibrated.ts adapts it); default
   * CALIBRATED_START_LR. Adapters (bounded) start higher than full-parameter methods.
   */
  readonly calibratedLr?: number | ((config: RunConfig) => number | undefined);
  /**
   * Config keys a calibrated run of this method takes unless the config gives them (SAU: the
   * target-NLL base loss, which aims at "unseen" where ascent overshoots or stalls).
   */
  readonly calibratedDefaults?: Readonly<Record<string, unknown>>;
  prepare(context: MethodContext): Promise<MethodRun>;
}

/** Calibrated mode's starting learning rate for full-parameter methods. */
export const CALIBRATED_START_LR = 1e-4;

/** Calibrated mode's epoch budget: this many times the method's fixed epochs. */
export const CALIBRATED_EPOCH_FACTOR = 2;

/** Whether `method` with `config` reads the retain set. */
export function needsRetain(method: UnlearningMethod, config: RunConfig): boolean {
  return typeof method.needsRetain === 'function' ? method.needsRetain(config) : method.needsRetain;
}
