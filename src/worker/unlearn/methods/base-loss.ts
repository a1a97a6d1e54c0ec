/**
 * The base losses SAU and bounded run over (`baseMethod`): full-parameter methods whose loss
 * they reuse — SAU rewrites its gradients on a pruned model, bounded trains it through bounded
 * adapters. Each descriptor piece here delegates to the base method the config names.
 */
import { needsRetain, type UnlearningMethod } from '../method.ts';
import type { RunConfig } from '../config.ts';
import { ga } from './ga.ts';
import { graddiff } from './graddiff.ts';
import { kl } from './kl.ts';
import { npo } from './npo.ts';
import { simnpo } from './simnpo.ts';
import { targetnll } from './targetnll.ts';
import { undial } from './undial.ts';

/** config.ts DEFAULT_CONFIG.baseMethod. */
const DEFAULT_BASE = 'graddiff';

export const BASE_METHODS: ReadonlyMap<string, UnlearningMethod> = new Map(
  [ga, graddiff, kl, npo, simnpo, undial, targetnll].map((m) => [m.name, m]),
);

/** The config keys a base loss may read (beside the trainer's common ones). */
export const BASE_KEYS = ['baseMethod', 'alpha', 'gamma', 'beta', 'delta', 'targetNll'] as const;

/** The base method named by `name` (the config's baseMethod), the default when unset or unknown. */
export function baseOf(name: unknown): UnlearningMethod {
  return (
    BASE_METHODS.get(typeof name === 'string' ? name : DEFAULT_BASE) ??
    BASE_METHODS.get(DEFAULT_BASE)!
  );
}

/** Whether the base loss uses the retain set. */
export const baseNeedsRetain = (config: RunConfig): boolean =>
  needsRetain(baseOf(config.baseMethod), config);

/** The base loss's defaults for the config as given (targetnll's retain weight, for one). */
export function baseDefaults(raw: Record<string, unknown>): Partial<RunConfig> {
  const defaults = baseOf(raw.baseMethod).defaults;
  return typeof defaults === 'function' ? defaults(raw) : (defaults ?? {});
}

/** Whether the base loss needs calibration documents (targetnll without a targetNll). */
export const baseNeedsCalibration = (config: RunConfig): boolean =>
  baseOf(config.baseMethod).needsCalibration?.(config) ?? false;

/**
 * On the testbed, calibrated runs over graddiff spend their budget backing off with the forget
 * set still recited (bench/RESULTS.md "Calibrated mode on the testbed"); over targetnll they
 * forget every document and keep the retain set. So calibrated mode takes targetnll unless the
 * config names a base.
 */
export const CALIBRATED_BASE = { baseMethod: 'targetnll' } as const;

/** The descriptor fields SAU and bounded take from the base loss as they are. */
export const FROM_BASE_LOSS = {
  needsRetain: baseNeedsRetain,
  needsCalibration: baseNeedsCalibration,
  calibratedDefaults: CALIBRATED_BASE,
} satisfies Partial<UnlearningMethod>;
