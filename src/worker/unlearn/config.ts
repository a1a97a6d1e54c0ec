/**
 * The run configuration (`--config <json>`, DESIGN.md §5): common trainer keys and method keys
 * (ALGORITHMS.md). A key the chosen method does not read is an error naming the keys it does
 * read, so a typo or a key meant for another method never passes silently.
 */
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { UserInputError } from '../../shared/errors.ts';

const positive = z.number().positive();
const count = z.number().int().positive();

/** Keys every method reads: the trainer's. */
export const CommonKeys = z.strictObject({
  lr: positive,
  epochs: count,
  batchSize: count,
  /** Tokens per sequence; longer documents are cut into chunks of this length. */
  maxLength: z.number().int().min(2),
  gradAccum: count,
  warmupSteps: z.number().int().min(0),
  weightDecay: z.number().min(0),
  /** Global-norm clipping; 0 turns it off. */
  maxGradNorm: z.number().min(0),
  seed: z.number().int(),
  /** After warmup: constant, cosine to 0, or linear to 0. */
  schedule: z.enum(['constant', 'cosine', 'linear']),
  /** Optimizer steps between checkpoints; 0 = none. */
  checkpointEvery: z.number().int().min(0),
  /**
   * Calibrated mode (calibrated.ts): the run sets its learning rate and when to stop by
   * calibration documents. auto: on when there are calibration documents and the config fixes
   * neither `lr` nor `epochs`; a run records what it resolved to (on or off).
   */
  calibrated: z.enum(['auto', 'on', 'off']),
});

/** Method keys (ALGORITHMS.md); each method lists the ones it reads. */
export const MethodKeys = z.strictObject({
  /** Retain-loss weight (graddiff, npo, simnpo, undial, kl, bounded). */
  alpha: z.number().min(0),
  /** Forget-loss weight. */
  gamma: z.number().min(0),
  /** NPO / SimNPO inverse temperature; UNDIAL: how far the true token's logit is lowered. */
  beta: positive,
  /** SimNPO margin. */
  delta: z.number(),
  /** targetnll: the forget sequences' target mean NLL τ; null = from the calibration documents. */
  targetNll: positive.nullable(),
  /** SGA smoothing rate r, or "auto" (estimated once before training from one-step gradients). */
  rate: z.union([z.number().min(-1).max(1), z.literal('auto')]),
  /** SGA: classes K (the forget sequence and K − 1 normal sequences). */
  k: z.number().int().min(2),
  /**
   * SGA: how the normal sequences are chosen (neighbours.ts): by the model's mean hidden state
   * (ALGORITHMS.md's preferred signal) or by token overlap (its fallback).
   */
  neighbours: z.enum(['embedding', 'tokens']),
  /** LoRA rank r. */
  rank: z.number().int().min(1).max(256),
  /** LoRA α; null means 2·rank. */
  loraAlpha: positive.nullable(),
  /** Sine frequency ω. */
  omega: positive,
  bound: z.enum(['sine', 'tanh', 'none']),
  /** SAU: the loss whose gradients are masked and redistributed. */
  baseMethod: z.enum(['ga', 'graddiff', 'kl', 'npo', 'simnpo', 'undial', 'targetnll']),
  redistribution: z.enum(['importance', 'rownorm', 'none']),
  /** SAU: share of the pruned gradient mass given back to survivors. */
  lambda: z.number().min(0),
  /** SAU importance scores: Wanda |W|·‖X‖ (forget-set activations) or Fisher G². */
  importance: z.enum(['wanda', 'fisher']),
});

export type CommonConfig = z.infer<typeof CommonKeys>;
export type MethodConfig = z.infer<typeof MethodKeys>;
export type RunConfig = CommonConfig & MethodConfig;
export type MethodKey = keyof MethodConfig;
export const COMMON_KEYS = Object.keys(CommonKeys.shape) as (keyof CommonConfig)[];

/** Defaults before a method's own (ALGORITHMS.md's table). */
export const DEFAULT_CONFIG: RunConfig = {
  lr: 1e-5,
  epochs: 5,
  batchSize: 4,
  maxLength: 256,
  gradAccum: 1,
  warmupSteps: 0,
  weightDecay: 0.01,
  maxGradNorm: 1,
  seed: 0,
  schedule: 'constant',
  checkpointEvery: 0,
  calibrated: 'auto',
  alpha: 1,
  gamma: 1,
  beta: 0.1,
  delta: 0,
  targetNll: null,
  rate: -0.4,
  k: 4,
  neighbours: 'embedding',
  rank: 8,
  loraAlpha: null,
  omega: 100,
  bound: 'sine',
  baseMethod: 'graddiff',
  redistribution: 'importance',
  lambda: 1,
  importance: 'wanda',
};

export interface ConfigTarget {
  readonly name: string;
  /** Method keys read (SAU: its own plus its base method's). */
  readonly keys: readonly string[];
  /** Its defaults, or a function of the config as given (SAU: its base method's). */
  readonly defaults?: Partial<RunConfig> | ((raw: Record<string, unknown>) => Partial<RunConfig>);
  /** Keys a calibrated run takes unless given (UnlearningMethod.calibratedDefaults). */
  readonly calibratedDefaults?: Readonly<Record<string, unknown>>;
}

/**
 * Validates `raw` (the parsed --config file, or {}) for `method` and fills defaults. `source`
 * names the file in errors. `seed` (the global --seed) applies unless the file sets one.
 */
export function resolveConfig(
  raw: unknown,
  method: ConfigTarget,
  source: string | undefined,
  seed?: number,
): RunConfig {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw))
    throw new UserInputError(source, 'the config must be a JSON object of hyperparameters');
  const known = new Set<string>([...COMMON_KEYS, ...method.keys]);
  for (const key of Object.keys(raw)) {
    if (!known.has(key)) {
      const elsewhere = key in MethodKeys.shape ? ` (not a ${method.name} key)` : '';
      throw new UserInputError(
        source,
        `unknown config key "${key}"${elsewhere}; ${method.name} reads: ${[...known].join(', ')}`,
      );
    }
  }
  const merged = {
    ...DEFAULT_CONFIG,
    ...(seed === undefined ? {} : { seed }),
    ...(typeof method.defaults === 'function'
      ? method.defaults(raw as Record<string, unknown>)
      : method.defaults),
    ...raw,
  };
  const parsed = CommonKeys.merge(MethodKeys).safeParse(merged);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UserInputError(
      source,
      `config key "${issue.path.join('.')}": ${issue.message} (got ${JSON.stringify(
        issue.path.reduce<unknown>((o, k) => (o as Record<PropertyKey, unknown>)?.[k], merged),
      )})`,
    );
  }
  return parsed.data;
}

/**
 * Whether the run asks for calibrated mode: `calibrated` on, or auto with a config that fixes
 * neither lr nor epochs (`raw`: the config as given). It then needs calibration documents.
 */
export function wantsCalibration(config: RunConfig, raw: unknown): boolean {
  const given = typeof raw === 'object' && raw !== null ? raw : {};
  const fixed = 'lr' in given || 'epochs' in given;
  return config.calibrated === 'on' || (config.calibrated === 'auto' && !fixed);
}

/**
 * The config as given with the method's calibrated defaults under it (given keys win): what a
 * calibrated run resolves. Unchanged for a method without calibrated defaults.
 */
export function withCalibratedDefaults(raw: unknown, method: ConfigTarget): unknown {
  if (method.calibratedDefaults === undefined) return raw;
  const given = typeof raw === 'object' && raw !== null ? raw : {};
  return { ...method.calibratedDefaults, ...given };
}

/** Reads and parses a --config file (exit 2 on a missing file or bad JSON). */
export function readConfigFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UserInputError(path, 'cannot read the config file');
  }
  try {
    return JSON.parse(text) as unknown;
  } catch (error) {
    throw new UserInputError(path, `not valid JSON (${(error as Error).message})`);
  }
}
