/**
 * `unlearn` from paths, as the CLI and the worker run it. First everything that can be wrong
 * with the input is checked without an engine (method, config, documents, retain set, output
 * folder); then the model is loaded, the method prepared and trained, and the result written
 * as a complete HF folder (config and tokenizer copied, weights in the input's dtype, plus
 * training.json) into a staging folder beside `out` that is renamed at the end. The staging
 * folder holds the checkpoints, so a cancelled or killed run can be resumed (`resume`) or is
 * discarded by the next run without it.
 */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { UserInputError } from '../../shared/errors.ts';
import {
  TrainingLog,
  UnlearnReport,
  type CalibrationUpdate,
  type TrainingProgress,
} from '../../shared/training.ts';
import { readDocuments, type Document, type ReadOptions } from '../data/documents.ts';
import { loadModelSpec, type ModelSpec } from '../model/config.ts';
import { loadModel } from '../model/load.ts';
import { writeModelFolder } from '../model/model-folder.ts';
import { loadTokenizer } from '../model/tokenizer.ts';
import { isBlockLinearWeight } from '../model/weight-names.ts';
import { readStoredParameters } from '../model/weights.ts';
import type { TokenSequence } from '../unlearn/batch.ts';
import { hasCheckpoint } from '../unlearn/checkpoint.ts';
import {
  readConfigFile,
  resolveConfig,
  wantsCalibration,
  withCalibratedDefaults,
  type RunConfig,
} from '../unlearn/config.ts';
import { needsRetain, type UnlearningMethod } from '../unlearn/method.ts';
import type { CalibrationAttack, ControlAction } from '../unlearn/calibrated.ts';
import { ATTACK_NAMES } from '../../shared/calibration-text.ts';
import { calibratedConfig, calibrationLog, controllerFor, untrained } from './calibration.ts';
import { methodNamed } from '../unlearn/methods/index.ts';
import { CALIBRATION_NEEDED } from '../unlearn/methods/targetnll.ts';
import { train, type TrainResult } from '../unlearn/trainer.ts';
import { checkOutputTarget, OutputTarget, stagingFolder, TargetChanged } from './output-target.ts';
import {
  checkMemoryFits,
  checkpointsByDefault,
  type MemoryNeed,
  wasmTensorBytes,
} from './preflight.ts';
import { chunkTokens } from './score.ts';

export interface UnlearnRequest {
  readonly model: string;
  readonly forget: string;
  readonly retain?: string;
  /**
   * Held-out documents never trained on, for the method's decisions only (targetnll's target
   * loss and stopping check); never used to measure the result.
   */
  readonly calibration?: string;
  readonly method: string;
  /** Path of the --config JSON file. */
  readonly config?: string;
  readonly out: string;
  readonly resume?: boolean;
  /** The global --seed; the config's `seed` wins. */
  readonly seed?: number;
}

/** The checked inputs of a request (no engine needed to get them). */
export interface UnlearnInputs {
  readonly method: UnlearningMethod;
  readonly config: RunConfig;
  readonly forget: TokenSequence[];
  readonly retain: TokenSequence[];
  /** The calibration documents' sequences (empty without --calibration). */
  readonly calibration: TokenSequence[];
  /** The run's tensor memory on wasm's coefficients: `auto` weighs it against wasm's heap. */
  readonly wasmTensorBytes: number;
  /** The pre-flight's memory estimate (the run fits, with checkpointing if it must). */
  readonly memory: MemoryNeed;
  /**
   * Calibrated mode's target AUC: the reference model's own, forget against calibration
   * sequences (`referenceTargetAuc`); absent, 0.5.
   */
  readonly targetAuc?: number;
  /** The attack calibrated mode reads (`loss` when absent; an audit with a reference: `minK`). */
  readonly attack?: CalibrationAttack;
  /** NEPENTHE_CHECKPOINTING=on|off, when set: checkpointing forced either way. */
  readonly checkpointingForced: boolean | undefined;
}

export interface UnlearnHooks {
  readonly backend: string;
  readonly signal?: AbortSignal;
  readonly onProgress?: (label: string, done: number, total: number) => void;
  readonly onStep?: (progress: TrainingProgress) => void;
  /** Each decision of calibrated mode as it is taken. */
  readonly onDecision?: (update: CalibrationUpdate) => void;
  /** A line for the user (the CLI's stderr, the app's log). */
  readonly onLog?: (message: string) => void;
  /** Tests of resume: stop as if cancelled after this many steps. */
  readonly stopAfterStep?: number;
}

/**
 * `calibrationDocuments`: calibration documents already in hand (an audit's half of its
 * holdout), instead of `request.calibration`'s file. `read`: progress while reading the sets.
 */
export async function readUnlearnInputs(
  request: UnlearnRequest,
  calibrationDocuments?: readonly Document[],
  read: ReadOptions = {},
): Promise<UnlearnInputs> {
  // The output first: a target that cannot be written is found before anything is read.
  checkOutputTarget(request.out, {
    kind: 'folder',
    inputs: [request.model, request.forget, request.retain, request.calibration, request.config],
  });
  const method = methodNamed(request.method);
  const raw = request.config === undefined ? {} : readConfigFile(request.config);
  const resolved = resolveConfig(raw, method, request.config, request.seed);
  if (needsRetain(method, resolved) && request.retain === undefined)
    throw new UserInputError(
      undefined,
      `method ${method.name} needs a retain set: add --retain <path>`,
    );
  const spec = loadModelSpec(request.model);
  const tokenizer = loadTokenizer(request.model, spec.vocabSize);
  const maxLength = Math.min(resolved.maxLength, spec.maxPositions, spec.slidingWindow ?? Infinity);
  const sequences = (docs: readonly Document[]) =>
    docs.flatMap((doc) =>
      chunkTokens(tokenizer.encode(doc.text), maxLength)
        .map((ids, chunk) => ({ id: `${doc.id}#${chunk}`, ids }))
        .filter((s) => s.ids.length >= 2),
    );
  const forget = sequences(await readDocuments(request.forget, read));
  if (forget.length === 0)
    throw new UserInputError(
      request.forget,
      'the forget set has no text to unlearn (no document with 2 or more tokens)',
    );
  const retain =
    request.retain === undefined ? [] : sequences(await readDocuments(request.retain, read));
  const calibration =
    calibrationDocuments !== undefined
      ? sequences(calibrationDocuments)
      : request.calibration === undefined
        ? []
        : sequences(await readDocuments(request.calibration, read));
  // A calibrated run resolves the method's calibrated defaults too (SAU: its base loss).
  const calibrating = calibration.length > 0 && wantsCalibration(resolved, raw);
  const given = calibrating ? withCalibratedDefaults(raw, method) : raw;
  const settled =
    given === raw ? resolved : resolveConfig(given, method, request.config, request.seed);
  if (method.needsCalibration?.(settled) === true && calibration.length === 0)
    throw new UserInputError(request.calibration, CALIBRATION_NEEDED);
  const config = calibratedConfig(settled, given as Record<string, unknown>, method, calibration);
  if (needsRetain(method, config) && retain.length === 0)
    throw new UserInputError(
      request.retain,
      'the retain set has no text (no document with 2 or more tokens)',
    );
  // The methods' own checks repeated here, so that they fail before the engine starts.
  if (method.name === 'sga' && retain.length < config.k - 1)
    throw new UserInputError(
      request.retain,
      `sga with k = ${config.k} needs at least ${config.k - 1} retain sequences as normal sequences; the retain set has ${retain.length}`,
    );
  if (method.name === 'sau' && !hasZeroBlockWeight(request.model, spec))
    throw new UserInputError(
      request.model,
      'sau needs a pruned model, and this one has no zero weights in its block linears; prune it first (nepenthe prune) or choose another method',
    );
  const staging = stagingFolder(request.out);
  if (request.resume) {
    if (!hasCheckpoint(join(staging, 'checkpoint')))
      throw new UserInputError(
        request.out,
        'there is no checkpoint of an earlier run to resume; run without --resume',
      );
  }
  const longest = Math.max(...[...forget, ...retain].map((s) => s.ids.length));
  const need = checkMemoryFits(request.model, spec, method.name, config, longest);
  const wasmBytes = wasmTensorBytes(spec, method.name, config, longest);
  return {
    method,
    config,
    forget,
    retain,
    calibration,
    wasmTensorBytes: wasmBytes,
    memory: need,
    checkpointingForced: checkpointingOverride(),
  };
}

/**
 * Whether the run checkpoints, decided once the engine is chosen (auto may take wasm for a
 * small model), with the reason for the log; null when it does not.
 */
function checkpointingReason(inputs: UnlearnInputs, backend: string): string | null {
  const { memory, checkpointingForced: forced } = inputs;
  if (forced !== undefined) return forced ? 'NEPENTHE_CHECKPOINTING=on' : null;
  if (memory.checkpointedBytes === null) return null; // bounded: adapters, not block parameters
  if (memory.plainBytes > memory.availableBytes) return 'the run fits this machine only so';
  if (!checkpointsByDefault(inputs.method.name, backend === 'native')) return null;
  return `the default for full-parameter training on the native backend: no slower there, and about ${gib(memory.plainBytes - memory.checkpointedBytes)} less memory`;
}

const gib = (bytes: number): string => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/**
 * NEPENTHE_CHECKPOINTING=on|off forces gradient checkpointing either way (benchmarks, machines
 * whose free memory the estimate misjudges); unset, the pre-flight decides.
 */
function checkpointingOverride(): boolean | undefined {
  const raw = process.env.NEPENTHE_CHECKPOINTING;
  if (raw === undefined || raw === '') return undefined;
  if (raw === 'on' || raw === 'off') return raw === 'on';
  throw new UserInputError(undefined, `NEPENTHE_CHECKPOINTING must be on or off, got "${raw}"`);
}

/** Whether any block linear weight is exactly zero (read from the files, no engine). */
function hasZeroBlockWeight(folder: string, spec: ModelSpec): boolean {
  return readStoredParameters(folder, spec, ({ checkpoint, layout, keys }) =>
    layout.some(
      (p) => isBlockLinearWeight(p.name) && checkpoint.readFloat32(keys.get(p.name)!).includes(0),
    ),
  );
}

export async function runUnlearning(
  request: UnlearnRequest,
  inputs: UnlearnInputs,
  hooks: UnlearnHooks,
): Promise<UnlearnReport> {
  const began = performance.now();
  // Claimed (locked) for the whole run; the staging folder beside it is this run's alone.
  const target = OutputTarget.claim(request.out, { kind: 'folder' });
  try {
    return await unlearnInto(target, request, inputs, hooks, began);
  } finally {
    target.release();
  }
}

async function unlearnInto(
  target: OutputTarget,
  request: UnlearnRequest,
  inputs: UnlearnInputs,
  hooks: UnlearnHooks,
  began: number,
): Promise<UnlearnReport> {
  const { method, config, forget, retain, calibration } = inputs;
  const staging = target.staging;
  const checkpointFolder = join(staging, 'checkpoint');
  let keepStaging = false;

  hooks.onProgress?.('loading model', 0, 1);
  // Loaded before the staging folder exists: weights refused on load (NaN, a folder for a
  // file) leave nothing behind.
  const loaded = loadModel(request.model);
  const model = loaded.model;
  const checkpointing = checkpointingReason(inputs, hooks.backend);
  if (checkpointing !== null) {
    model.setCheckpointing(true);
    hooks.onLog?.(
      `gradient checkpointing on: each block is recomputed in the backward pass (${checkpointing})`,
    );
  }
  try {
    // A killed run's staging folder (ours, and free: the lock is held) is discarded.
    if (!request.resume) rmSync(staging, { recursive: true, force: true });
    mkdirSync(staging, { recursive: true });
    const run = await method.prepare({
      model,
      forget,
      retain,
      config,
      ...(calibration.length > 0 ? { calibration } : {}),
      ...(hooks.onProgress ? { onProgress: hooks.onProgress } : {}),
      ...(hooks.onLog ? { onLog: hooks.onLog } : {}),
    });
    const controller = controllerFor(model, run, inputs, hooks.onDecision);
    try {
      let opening: ControlAction | undefined;
      if (controller) {
        hooks.onProgress?.('calibrated mode: measuring before training', 0, 1);
        opening = await controller.start();
        hooks.onLog?.(
          opening.kind === 'stop'
            ? `calibrated mode: no training, ${opening.reason}`
            : `calibrated mode: ${calibration.length} calibration sequences; stops when the forget set's ${ATTACK_NAMES[controller.attack]} AUC reaches ${controller.targetAuc} (decisions in training.json)`,
        );
      }
      const result: TrainResult =
        opening?.kind === 'stop'
          ? untrained(config, forget.length, retain.length, opening.reason)
          : await train({
              run,
              ...(controller ? { controller } : {}),
              method: method.name,
              forget,
              retain,
              config,
              checkpointFolder,
              resume: request.resume ?? false,
              ...(hooks.signal ? { signal: hooks.signal } : {}),
              ...(hooks.onStep ? { onStep: hooks.onStep } : {}),
              ...(hooks.stopAfterStep === undefined ? {} : { stopAfterStep: hooks.stopAfterStep }),
            });
      const log = TrainingLog.parse({
        method: method.name,
        config,
        backend: hooks.backend,
        forgetSequences: forget.length,
        retainSequences: retain.length,
        totalSteps: result.totalSteps,
        resumedFrom: result.resumedFrom,
        cancelled: result.cancelled,
        ...(result.stoppedEarly === undefined ? {} : { stoppedEarly: result.stoppedEarly }),
        ...(controller ? { calibration: calibrationLog(controller, calibration) } : {}),
        steps: result.records,
      });
      const tokens = (set: readonly TokenSequence[]) => set.reduce((n, s) => n + s.ids.length, 0);
      const report = (out: string | null): UnlearnReport =>
        UnlearnReport.parse({
          method: method.name,
          out,
          checkpoint: out === null ? checkpointFolder : null,
          backend: hooks.backend,
          steps: result.records.length,
          totalSteps: result.totalSteps,
          resumedFrom: result.resumedFrom,
          cancelled: result.cancelled,
          ...(result.stoppedEarly === undefined ? {} : { stoppedEarly: result.stoppedEarly }),
          forget: { sequences: forget.length, tokens: tokens(forget) },
          retain: retain.length === 0 ? null : { sequences: retain.length, tokens: tokens(retain) },
          finalLoss: result.records.at(-1)?.loss ?? null,
          seconds: (performance.now() - began) / 1000,
        });
      if (result.cancelled) return report(null);

      const stagedModel = join(staging, 'model');
      rmSync(stagedModel, { recursive: true, force: true });
      mkdirSync(stagedModel, { recursive: true });
      hooks.onProgress?.('writing model', 0, 1);
      await run.finish?.(stagedModel);
      await writeModelFolder(request.model, stagedModel, model, loaded.checkpoint.dtype);
      writeFileSync(join(stagedModel, 'training.json'), JSON.stringify(log, null, 1));
      try {
        target.publish(stagedModel);
      } catch (error) {
        if (error instanceof TargetChanged) keepStaging = true; // the finished result is there
        throw error;
      }
      rmSync(staging, { recursive: true, force: true });
      hooks.onProgress?.('writing model', 1, 1);
      return report(request.out);
    } finally {
      controller?.dispose();
      run.dispose();
    }
  } finally {
    model.dispose();
    if (!keepStaging && existsSync(staging) && !hasCheckpoint(checkpointFolder))
      rmSync(staging, { recursive: true, force: true });
  }
}
