/**
 * Methods: the registry, every hyperparameter with its valid range, the presets.
 * Part of the app API (../app-api.ts), which holds the channel table.
 */
import { z } from 'zod';

/** One hyperparameter, with its valid range, for the advanced panel. */
export const Hyperparameter = z.object({
  key: z.string(),
  description: z.string(),
  type: z.enum(['number', 'integer', 'enum', 'number-or-auto', 'number-or-null']),
  min: z.number().nullable(),
  max: z.number().nullable(),
  /** Whether `min` itself is excluded (a positive learning rate). */
  exclusiveMin: z.boolean(),
  options: z.array(z.string()).nullable(),
  default: z.union([z.number(), z.string(), z.null()]),
  /** Trainer keys every method reads; the others belong to the methods that list them. */
  common: z.boolean(),
});
export type Hyperparameter = z.infer<typeof Hyperparameter>;

export const ConfigValue = z.union([z.number(), z.string(), z.null()]);
export const RunConfigInput = z.record(z.string().max(64), ConfigValue);
export type RunConfigInput = z.infer<typeof RunConfigInput>;

export const MethodInfo = z.object({
  name: z.string(),
  summary: z.string(),
  /** When to choose it, in plain language. */
  whenToUse: z.string(),
  needsRetain: z.boolean(),
  /** Needs a pruned (sparse) model. */
  needsSparseModel: z.boolean(),
  /** Method keys it reads, beside the common ones. */
  keys: z.array(z.string()),
  /** Every key it reads with the value it will use by default. */
  defaults: RunConfigInput,
  /** Keys whose default differs in calibrated mode (SAU: its base loss). */
  calibratedDefaults: RunConfigInput,
});
export type MethodInfo = z.infer<typeof MethodInfo>;

/** A preset: a method with settings that forget on the bundled testbed. */
export const Preset = z.object({
  id: z.string(),
  label: z.string(),
  method: z.string(),
  explanation: z.string(),
  config: RunConfigInput,
});
export type Preset = z.infer<typeof Preset>;

export const MethodsListResponse = z.object({
  methods: z.array(MethodInfo),
  parameters: z.array(Hyperparameter),
  presets: z.array(Preset),
});
