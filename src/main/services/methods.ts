/**
 * `methods.list`: the unlearning methods from the worker's registry, every hyperparameter with
 * its valid range (read from the zod schemas of src/worker/unlearn/config.ts through JSON
 * Schema, so the panel's ranges cannot drift from what the run accepts), and the testbed's
 * presets with plain-language help.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { z } from 'zod';
import {
  RunConfigInput,
  type Hyperparameter,
  type MethodInfo,
  type Preset,
} from '../../shared/app-api.ts';
import {
  COMMON_KEYS,
  CommonKeys,
  DEFAULT_CONFIG,
  MethodKeys,
  resolveConfig,
  withCalibratedDefaults,
  type RunConfig,
} from '../../worker/unlearn/config.ts';
import { needsRetain, type UnlearningMethod } from '../../worker/unlearn/method.ts';
import { METHODS } from '../../worker/unlearn/methods/index.ts';
import type { Handlers } from '../ipc/dispatcher.ts';
import type { ServiceContext } from './context.ts';

/** One line per key for the advanced panel; a key missing here fails the type check. */
const DESCRIPTIONS: Record<keyof RunConfig, string> = {
  lr: 'Learning rate of the AdamW optimizer.',
  epochs: 'Passes over the forget set.',
  batchSize: 'Sequences per micro-batch.',
  maxLength: 'Tokens per sequence; longer documents are cut into chunks of this length.',
  gradAccum: 'Micro-batches whose gradients are summed before each optimizer step.',
  warmupSteps: 'Steps over which the learning rate rises linearly from 0.',
  weightDecay: 'AdamW weight decay.',
  maxGradNorm: 'Global gradient-norm clipping; 0 turns it off.',
  seed: 'Seed of the run (shuffling, adapter initialization).',
  schedule: 'Learning rate after warmup: constant, cosine to 0, or linear to 0.',
  checkpointEvery: 'Optimizer steps between checkpoints (0: only when cancelled).',
  calibrated:
    'Calibrated mode: the run picks its learning rate and when to stop from held-out documents; auto turns it on unless the learning rate or epochs are set.',
  alpha: 'Weight of the retain-set loss.',
  gamma: 'Weight of the forget-set loss.',
  beta: "NPO / SimNPO inverse temperature; UNDIAL: how far the true token's logit is lowered.",
  delta: 'SimNPO reward margin.',
  targetNll:
    'Target NLL: the loss the forget documents are raised to; empty means that of the held-out documents.',
  rate: 'SGA smoothing rate, or "auto" to estimate it once, before training, from one-step gradients.',
  k: 'SGA classes: the forget sequence and k − 1 similar retain sequences.',
  neighbours:
    "SGA: how the similar retain sequences are found: by the model's own representation of the text (embedding) or by shared tokens.",
  rank: 'LoRA rank of the adapters.',
  loraAlpha: 'LoRA scale α; empty means 2 × rank.',
  omega: 'Frequency ω of the sine bound.',
  bound: 'Bounding function of the LoRA update: sine, tanh, or none (plain LoRA).',
  baseMethod: 'SAU: the loss whose gradients are masked and redistributed.',
  redistribution: 'SAU: how pruned gradient mass is given back to the surviving weights.',
  lambda: 'SAU: share of the pruned gradient mass given back.',
  importance: 'SAU importance scores: Wanda |W|·‖X‖ or Fisher G².',
};

/** When to choose each method, for the officer (DESIGN.md §1 step 3). */
const WHEN_TO_USE: Record<string, string> = {
  sau: 'Use on a pruned (sparse) model: it forgets while keeping every pruned weight at zero.',
  bounded:
    'Use on a large model or when memory is short: it trains small bounded adapters instead of every weight.',
  sga: 'Use when plain gradient ascent is unstable: smoothing with similar retain documents keeps it steady.',
  graddiff:
    'A solid default on a dense model that fits in memory, when you have a retain set to protect.',
  npo: 'Use when gradient ascent destroys the model: it forgets relative to the original and slows down by itself.',
  simnpo: 'Like NPO without keeping a copy of the original model: lighter on memory.',
  undial:
    'Use when the model must stay fluent on the forget documents: it lowers only the memorized next token and keeps the rest of what the original model predicts; it keeps a copy of the model.',
  targetnll:
    'Use when the forget documents must end up looking like documents the model never saw, not destroyed: it needs held-out documents.',
  kl: 'Use when answers on the retain set must stay close to the original model, not just correct.',
  ga: 'A baseline for comparison: it forgets fast but usually damages everything else.',
};

/** The testbed presets, in the order the panel offers them. */
const PRESET_HELP: Record<string, { label: string; explanation: string }> = {
  sau: {
    label: 'SAU (sparse models)',
    explanation: 'For a pruned model: forgets while keeping its sparsity exactly.',
  },
  bounded: {
    label: 'Bounded LoRA (large models)',
    explanation: 'For big models: trains bounded adapters, so it needs a fraction of the memory.',
  },
  sga: {
    label: 'Smoothed gradient ascent',
    explanation: 'Gradient ascent steadied by similar retain documents.',
  },
  graddiff: {
    label: 'GradDiff (baseline)',
    explanation: 'Ascent on the forget set, descent on the retain set.',
  },
  npo: {
    label: 'NPO (baseline)',
    explanation: 'Forgets relative to the original model, slowing down as it goes.',
  },
  simnpo: {
    label: 'SimNPO (baseline)',
    explanation: 'NPO without a reference copy of the model.',
  },
  undial: {
    label: 'UNDIAL',
    explanation:
      'Distils the original model with the memorized next token pushed down; tuned here with a retain term.',
  },
  kl: {
    label: 'KL (baseline)',
    explanation: 'Ascent on the forget set, staying close to the original on the retain set.',
  },
  ga: {
    label: 'Gradient ascent (baseline)',
    explanation: 'Plain ascent on the forget set; usually damages utility.',
  },
};

type MethodHandlers = Pick<Handlers, 'methods.list'>;

export function methodHandlers(context: ServiceContext): MethodHandlers {
  return {
    async 'methods.list'() {
      return {
        // Not yet a method that needs calibration documents with its defaults (targetnll):
        // the app cannot give them.
        methods: [...METHODS.values()]
          .filter((m) => m.needsCalibration?.(resolveConfig({}, m, undefined)) !== true)
          .map(methodInfo),
        parameters: hyperparameters(),
        presets: presets(join(context.resourcesDir, 'testbed', 'presets')),
      };
    },
  };
}

function methodInfo(method: UnlearningMethod): MethodInfo {
  const config = resolveConfig({}, method, undefined);
  const keys = [...COMMON_KEYS, ...method.keys] as (keyof RunConfig)[];
  return {
    name: method.name,
    summary: method.summary,
    whenToUse: WHEN_TO_USE[method.name] ?? method.summary,
    needsRetain: needsRetain(method, config),
    needsSparseModel: method.name === 'sau',
    keys: [...method.keys],
    defaults: Object.fromEntries(keys.map((k) => [k, config[k]])),
    calibratedDefaults: calibratedDifferences(method, config, keys),
  };
}

/**
 * The keys a calibrated run resolves differently (SAU over targetnll: the base and its retain
 * weight), lr and epochs aside: calibrated mode chooses those itself.
 */
function calibratedDifferences(
  method: UnlearningMethod,
  config: RunConfig,
  keys: readonly (keyof RunConfig)[],
): RunConfigInput {
  if (method.calibratedDefaults === undefined) return {};
  const calibrated = resolveConfig(withCalibratedDefaults({}, method), method, undefined);
  return Object.fromEntries(
    keys
      .filter((k) => k !== 'lr' && k !== 'epochs' && calibrated[k] !== config[k])
      .map((k) => [k, calibrated[k]]),
  ) as RunConfigInput;
}

interface JsonSchema {
  type?: string;
  minimum?: number;
  maximum?: number;
  exclusiveMinimum?: number;
  exclusiveMaximum?: number;
  enum?: string[];
  anyOf?: JsonSchema[];
}

/** zod's int() adds the safe-integer bounds: those are not a range the user chose. */
const bound = (x: number | undefined) =>
  x === undefined || Math.abs(x) >= Number.MAX_SAFE_INTEGER ? null : x;

export function hyperparameters(): Hyperparameter[] {
  const shapes = { ...CommonKeys.shape, ...MethodKeys.shape } as Record<keyof RunConfig, z.ZodType>;
  return (Object.keys(shapes) as (keyof RunConfig)[]).map((key) => {
    const schema = z.toJSONSchema(shapes[key]) as JsonSchema;
    const numeric = schema.anyOf?.find((s) => s.type === 'number') ?? schema;
    const other = schema.anyOf?.find((s) => s !== numeric);
    const type: Hyperparameter['type'] = schema.enum
      ? 'enum'
      : other?.type === 'null'
        ? 'number-or-null'
        : other !== undefined
          ? 'number-or-auto'
          : schema.type === 'integer'
            ? 'integer'
            : 'number';
    const exclusiveMin = numeric.exclusiveMinimum !== undefined;
    return {
      key,
      description: DESCRIPTIONS[key],
      type,
      min: bound(numeric.exclusiveMinimum ?? numeric.minimum),
      max: bound(numeric.maximum),
      exclusiveMin,
      options: schema.enum ?? null,
      default: DEFAULT_CONFIG[key],
      common: key in CommonKeys.shape,
    };
  });
}

/** One preset per `presets/<method>.json`, in PRESET_HELP's order, then the rest by name. */
function presets(folder: string): Preset[] {
  if (!existsSync(folder)) return [];
  const order = Object.keys(PRESET_HELP);
  const rank = (m: string) => (order.includes(m) ? order.indexOf(m) : order.length);
  return readdirSync(folder)
    .filter((f) => f.endsWith('.json'))
    .map((f) => basename(f, '.json'))
    .filter((method) => METHODS.has(method))
    .sort((a, b) => rank(a) - rank(b) || a.localeCompare(b))
    .flatMap((method) => {
      const parsed = RunConfigInput.safeParse(readJsonOrNull(join(folder, `${method}.json`)));
      if (!parsed.success) return []; // a damaged preset is left out, not fatal to the panel
      const help = PRESET_HELP[method] ?? {
        label: method,
        explanation: METHODS.get(method)!.summary,
      };
      return [{ id: method, method, config: parsed.data, ...help }];
    });
}

function readJsonOrNull(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}
