/**
 * Calibrated mode's wiring into an unlearning run (docs/methods.md "Calibrated mode"): whether a
 * run is calibrated and with which learning rate and budget, the target AUC from a reference
 * model, the seeded retain probe, the check schedule, and what training.json records. The rule
 * itself is src/worker/unlearn/calibrated.ts.
 */
import { UserInputError } from '../../shared/errors.ts';
import type { CalibrationUpdate } from '../../shared/training.ts';
import { mulberry32 } from '../data/prng.ts';
import type { CausalLM } from '../model/architectures/types.ts';
import { loadModel } from '../model/load.ts';
import type { TokenSequence } from '../unlearn/batch.ts';
import {
  calibratedController,
  membershipAttack,
  type CalibratedController,
  type CalibrationAttack,
} from '../unlearn/calibrated.ts';
import { wantsCalibration, type RunConfig } from '../unlearn/config.ts';
import {
  CALIBRATED_EPOCH_FACTOR,
  CALIBRATED_START_LR,
  type MethodRun,
  type UnlearningMethod,
} from '../unlearn/method.ts';
import { planBatches } from '../unlearn/schedule.ts';
import type { TrainResult } from '../unlearn/trainer.ts';
import type { UnlearnInputs } from './unlearn.ts';

/**
 * Resolves `calibrated`: auto is on when there are calibration documents and the config fixes
 * neither lr nor epochs. On, the run starts at the method's calibrated learning rate (unless the
 * config gives one) with CALIBRATED_EPOCH_FACTOR times its epochs as the budget (unless given);
 * calibrated.ts stops it earlier.
 */
export function calibratedConfig(
  config: RunConfig,
  raw: Record<string, unknown>,
  method: UnlearningMethod,
  calibration: readonly TokenSequence[],
): RunConfig {
  if (config.calibrated === 'on' && calibration.length === 0)
    throw new UserInputError(
      undefined,
      'calibrated mode ("calibrated": "on") needs calibration documents: give held-out documents of the same kind with --calibration <path>',
    );
  const on = wantsCalibration(config, raw) && calibration.length > 0;
  if (!on) return { ...config, calibrated: 'off' };
  return {
    ...config,
    calibrated: 'on',
    lr: 'lr' in raw ? config.lr : (calibratedLrOf(method, config) ?? CALIBRATED_START_LR),
    epochs: 'epochs' in raw ? config.epochs : config.epochs * CALIBRATED_EPOCH_FACTOR,
  };
}

function calibratedLrOf(method: UnlearningMethod, config: RunConfig): number | undefined {
  const lr = method.calibratedLr;
  return typeof lr === 'function' ? lr(config) : lr;
}

/**
 * The `attack`'s AUC, forget against calibration sequences, under `referenceFolder` (a model
 * that never saw the forget set): where calibrated mode should stop, instead of 0.5. The model
 * is loaded, scored and freed before training starts.
 */
export async function referenceTargetAuc(
  referenceFolder: string,
  inputs: UnlearnInputs,
  attack: CalibrationAttack,
): Promise<number> {
  const { model } = loadModel(referenceFolder);
  try {
    const { forget, calibration, config } = inputs;
    return (await membershipAttack(model, forget, calibration, config.batchSize, attack)).auc;
  } finally {
    model.dispose();
  }
}

/** At most this many retain sequences are scored at each check of calibrated mode. */
const RETAIN_PROBE = 64;

/** A seeded sample of the retain sequences for calibrated mode's retain check. */
function retainProbe(retain: readonly TokenSequence[], seed: number): TokenSequence[] {
  const random = mulberry32(seed ^ 0x5eed);
  const order = retain.map((_, i) => i);
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order.slice(0, RETAIN_PROBE).map((i) => retain[i]!);
}

/** Checks twice per epoch (and after the last step). */
function checkSchedule(config: RunConfig, forget: number, retain: number) {
  const totalSteps = planBatches(config, forget, retain).totalSteps;
  const perEpoch = Math.max(1, Math.round(totalSteps / config.epochs));
  return { totalSteps, checkEvery: Math.max(1, Math.ceil(perEpoch / 2)) };
}

/** The result of a calibrated run that stopped before its first step. */
export function untrained(
  config: RunConfig,
  forget: number,
  retain: number,
  reason: string,
): TrainResult {
  const { totalSteps } = checkSchedule(config, forget, retain);
  return {
    records: [],
    totalSteps,
    resumedFrom: 0,
    cancelled: false,
    stoppedEarly: { step: 0, reason },
  };
}

export function calibrationLog(
  controller: CalibratedController,
  calibration: readonly TokenSequence[],
) {
  return {
    targetAuc: controller.targetAuc,
    attack: controller.attack,
    checkEvery: controller.checkEvery,
    calibrationSequences: calibration.length,
    rule: { ...controller.rule },
    decisions: [...controller.decisions],
  };
}

/** The controller of a calibrated run; undefined when the run is not calibrated. */
export function controllerFor(
  model: CausalLM,
  run: MethodRun,
  inputs: UnlearnInputs,
  onDecision?: (update: CalibrationUpdate) => void,
): CalibratedController | undefined {
  const { config, forget, retain, calibration, targetAuc, attack } = inputs;
  if (config.calibrated !== 'on') return undefined;
  return calibratedController({
    model,
    trainable: run.trainable,
    forget,
    calibration,
    retainProbe: retainProbe(retain, config.seed),
    batchSize: config.batchSize,
    ...checkSchedule(config, forget.length, retain.length),
    ...(targetAuc === undefined ? {} : { targetAuc }),
    ...(attack === undefined ? {} : { attack }),
    ...(onDecision ? { onDecision } : {}),
  });
}
