/**
 * `audit` (DESIGN.md §5, docs/audit.md): evaluate → unlearn → evaluate again, into a run folder
 * that records what was done. Every input is read and checked before the folder is created or
 * an engine starts, so bad input leaves nothing behind. Each phase's output is written with a
 * temporary name and renamed; `metrics-after.json` and the manifest's state 'done' come last, so
 * an interrupted run ('running' with its process gone, 'cancelled', 'failed') is never taken
 * for a finished one, and `resume` continues it: phases whose output exists are skipped and
 * training continues from its checkpoint.
 */
import { copyFileSync, cpSync, existsSync, mkdirSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import {
  AuditRequest,
  AuditResult,
  MANIFEST_SCHEMA,
  type Phase,
  type RunManifest,
} from '../../shared/audit.ts';
import { EvalReport } from '../../shared/contracts.ts';
import {
  TrainingLog,
  UnlearnReport,
  type CalibrationUpdate,
  type TrainingProgress,
} from '../../shared/training.ts';
import { selectBackend } from '../engine/backend.ts';
import { hasCheckpoint } from '../unlearn/checkpoint.ts';
import { EvaluationCancelled, evaluateFiles } from './eval-files.ts';
import {
  ADAPTER,
  MANIFEST,
  METRICS_AFTER,
  METRICS_BEFORE,
  MODEL,
  modelRecord,
  readJson,
  TRAINING,
  versions,
  hardware,
  writeJsonAtomic,
} from './run-folder.ts';
import { OutputTarget, stagingFolder } from './output-target.ts';
import { runUnlearning, type UnlearnInputs } from './unlearn.ts';
import { referenceTargetAuc } from './calibration.ts';
import { defined, namesRecord, validate, type Checked } from './audit-inputs.ts';

export interface AuditHooks {
  readonly signal?: AbortSignal;
  readonly onProgress?: (label: string, done: number, total: number) => void;
  readonly onStep?: (progress: TrainingProgress) => void;
  readonly onDecision?: (update: CalibrationUpdate) => void;
  readonly onLog?: (message: string) => void;
}

export async function runAudit(raw: AuditRequest, hooks: AuditHooks = {}): Promise<AuditResult> {
  const began = performance.now();
  const checked = await validate(AuditRequest.parse(raw));
  // The run folder is claimed (locked) for the whole run: a second audit into it is refused.
  const target = OutputTarget.claim(checked.runDir, {
    kind: 'folder',
    existing: checked.prior ? 'continue' : 'refuse',
  });
  try {
    return await auditInto(checked, hooks, began);
  } finally {
    target.release();
  }
}

async function auditInto(checked: Checked, hooks: AuditHooks, began: number): Promise<AuditResult> {
  const { runDir, request, prior } = checked;
  const log = (message: string) => hooks.onLog?.(message);

  // The engine starts only now that the input is known to be good.
  const backend = await selectBackend(request.backend, {
    wasmTensorBytes: checked.unlearnInputs.wasmTensorBytes,
  });
  log(`backend: ${backend.name} (${backend.reason})`);

  if (!existsSync(runDir)) mkdirSync(runDir); // its parent was checked; never recursive
  const manifest: RunManifest = prior
    ? {
        ...prior,
        state: 'running',
        finished: null,
        pid: process.pid,
        message: null,
        backend: backend.name,
        hardware: hardware(backend.reason),
        resumes: prior.resumes + 1,
      }
    : { ...newManifest(checked, backend.name), hardware: hardware(backend.reason) };
  const timings = { ...manifest.timings };
  timings.validate = (timings.validate ?? 0) + (performance.now() - began) / 1000;
  const save = async (changes: Partial<RunManifest>) => {
    Object.assign(manifest, changes, { timings });
    await writeJsonAtomic(join(runDir, MANIFEST), manifest);
  };
  await save({});
  const timed = async <T>(phase: Phase, work: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    try {
      return await work();
    } finally {
      timings[phase] = (timings[phase] ?? 0) + (performance.now() - start) / 1000;
    }
  };

  try {
    const metricsBefore = await timed('evalBefore', () => evaluateBefore(checked, hooks)).catch(
      async (error: unknown) => {
        if (!(error instanceof EvaluationCancelled)) throw error;
        // No result to give yet (it needs the metrics before): the job ends as cancelled, and
        // the run folder says so; --resume starts the evaluation again.
        const message = 'cancelled during the evaluation before unlearning';
        await save({ state: 'cancelled', finished: new Date().toISOString(), message });
        throw new AuditCancelled(`${message}; continue with nepenthe audit --resume ${runDir}`);
      },
    );
    // A cancel during the evaluation before stops it at its next batch (no result: the job ends
    // as cancelled); during training, after the current step with a checkpoint; during the
    // evaluation after, at its next batch, with the training report and no metrics after.
    const training = await timed('unlearn', () => unlearn(checked, backend.name, hooks));
    if (training.cancelled) return await cancelled(runDir, save, metricsBefore, training);
    await publishTrainingFiles(runDir);
    const output = { model: { sha256: (await modelRecord(join(runDir, MODEL))).sha256 } };
    await save({ training, output });

    let metricsAfter: EvalReport;
    try {
      metricsAfter = await timed('evalAfter', () => evaluateAfter(checked, hooks));
    } catch (error) {
      if (!(error instanceof EvaluationCancelled)) throw error;
      return await cancelled(runDir, save, metricsBefore, training, 'during the evaluation after');
    }
    await save({ state: 'done', finished: new Date().toISOString() });
    log(`audit done: ${runDir}`);
    return AuditResult.parse({ runDir, state: 'done', metricsBefore, metricsAfter, training });
  } catch (error) {
    if (error instanceof AuditCancelled) throw error;
    const message = error instanceof Error ? error.message : String(error);
    await save({ state: 'failed', finished: new Date().toISOString(), message });
    throw error;
  }
}

/** A cancel that came before there was anything to return (the evaluation before unlearning). */
export class AuditCancelled extends Error {
  override readonly name = 'AuditCancelled';
}

function newManifest(checked: Checked, backend: string): RunManifest {
  const { request, unlearnRequest, unlearnInputs, inputs, evalRequest } = checked;
  return {
    schema: MANIFEST_SCHEMA,
    state: 'running',
    started: new Date().toISOString(),
    finished: null,
    pid: process.pid,
    message: null,
    request: {
      model: unlearnRequest.model,
      forget: unlearnRequest.forget,
      ...defined({
        retain: evalRequest.retain,
        holdout: evalRequest.holdout,
        qa: evalRequest.qa,
        reference: evalRequest.reference,
        config: unlearnRequest.config,
        names: request.names === undefined ? undefined : namesRecord(request.names),
      }),
      method: unlearnInputs.method.name,
      backend: request.backend,
      seed: request.seed,
    },
    inputs,
    ...(checked.holdoutSplit === undefined
      ? {}
      : {
          holdoutSplit: {
            calibration: checked.holdoutSplit.calibration.map((d) => d.id),
            evaluation: checked.holdoutSplit.evaluation.map((d) => d.id),
          },
        }),
    method: unlearnInputs.method.name,
    config: { ...unlearnInputs.config },
    backend,
    seed: request.seed,
    versions: versions(),
    timings: {},
    resumes: 0,
    training: null,
    output: { model: null },
  };
}

async function evaluateBefore(checked: Checked, hooks: AuditHooks): Promise<EvalReport> {
  const path = join(checked.runDir, METRICS_BEFORE);
  if (existsSync(path)) {
    const kept = EvalReport.safeParse(readJson(path));
    if (kept.success) {
      hooks.onLog?.(`${METRICS_BEFORE} is there from the interrupted run; kept`);
      return kept.data;
    }
  }
  const report = await evaluateFiles(
    checked.evalRequest,
    checked.evalFiles,
    (label, d, t) => hooks.onProgress?.(`before: ${label}`, d, t),
    hooks.signal,
  );
  await writeJsonAtomic(path, report);
  return report;
}

async function evaluateAfter(checked: Checked, hooks: AuditHooks): Promise<EvalReport> {
  const path = join(checked.runDir, METRICS_AFTER);
  if (existsSync(path)) {
    const kept = EvalReport.safeParse(readJson(path));
    if (kept.success) return kept.data;
  }
  const request = { ...checked.evalRequest, model: join(checked.runDir, MODEL) };
  const report = await evaluateFiles(
    request,
    checked.evalFiles,
    (label, d, t) => hooks.onProgress?.(`after: ${label}`, d, t),
    hooks.signal,
  );
  await writeJsonAtomic(path, report);
  return report;
}

/**
 * Trains into `<run-dir>/model` (staged in `<run-dir>/.model.partial`, which holds the
 * checkpoint): from the checkpoint when there is one, not at all when the model was already
 * published by the interrupted run.
 */
async function unlearn(
  checked: Checked,
  backend: string,
  hooks: AuditHooks,
): Promise<UnlearnReport> {
  const { unlearnRequest: request, unlearnInputs: inputs } = checked;
  if (existsSync(request.out)) {
    hooks.onLog?.('the unlearned model is there from the interrupted run; kept');
    return checked.prior?.training ?? reportFromLog(request.out, inputs, backend);
  }
  const resume = hasCheckpoint(join(stagingFolder(request.out), 'checkpoint'));
  if (resume) hooks.onLog?.('continuing training from the checkpoint of the interrupted run');
  // The reference model, when given, sets where calibrated mode stops: its own AUC under the
  // attack the verdict then judges by (PrivLeak's Min-K%).
  let steered = inputs;
  const reference = checked.evalRequest.reference;
  if (inputs.config.calibrated === 'on' && reference !== undefined) {
    hooks.onProgress?.('reference model: its Min-K% attack AUC on the calibration half', 0, 1);
    const targetAuc = await referenceTargetAuc(reference, inputs, 'minK');
    hooks.onLog?.(
      `calibrated mode aims at the reference model's Min-K% AUC, ${targetAuc.toFixed(3)} (forget against the calibration half)`,
    );
    steered = { ...inputs, targetAuc, attack: 'minK' };
  }
  return runUnlearning({ ...request, resume }, steered, {
    backend,
    ...defined({
      signal: hooks.signal,
      onProgress: hooks.onProgress,
      onStep: hooks.onStep,
      onDecision: hooks.onDecision,
      onLog: hooks.onLog,
    }),
  });
}

/** The report of a training run whose model was published but not recorded (killed between). */
function reportFromLog(out: string, inputs: UnlearnInputs, backend: string): UnlearnReport {
  const log = TrainingLog.parse(readJson(join(out, TRAINING)));
  const tokens = (set: UnlearnInputs['forget']) => set.reduce((n, s) => n + s.ids.length, 0);
  return UnlearnReport.parse({
    method: log.method,
    out,
    checkpoint: null,
    backend,
    steps: log.steps.length,
    totalSteps: log.totalSteps,
    resumedFrom: log.resumedFrom,
    cancelled: false,
    forget: { sequences: inputs.forget.length, tokens: tokens(inputs.forget) },
    retain:
      inputs.retain.length === 0
        ? null
        : { sequences: inputs.retain.length, tokens: tokens(inputs.retain) },
    finalLoss: log.steps.at(-1)?.loss ?? null,
    seconds: log.steps.reduce((s, r) => s + r.seconds, 0),
  });
}

/** `training.json` (and a LoRA method's `adapter/`) beside the model, each renamed into place. */
async function publishTrainingFiles(runDir: string): Promise<void> {
  const model = join(runDir, MODEL);
  const temp = join(runDir, `.${TRAINING}.${process.pid}.tmp`);
  copyFileSync(join(model, TRAINING), temp);
  renameSync(temp, join(runDir, TRAINING));
  if (existsSync(join(model, ADAPTER))) {
    const staged = join(runDir, `.${ADAPTER}.partial`);
    rmSync(staged, { recursive: true, force: true });
    cpSync(join(model, ADAPTER), staged, { recursive: true });
    rmSync(join(runDir, ADAPTER), { recursive: true, force: true });
    renameSync(staged, join(runDir, ADAPTER));
  }
}

async function cancelled(
  runDir: string,
  save: (changes: Partial<RunManifest>) => Promise<void>,
  metricsBefore: EvalReport,
  training: UnlearnReport,
  when?: string,
): Promise<AuditResult> {
  const at = when ?? `at step ${training.steps} of ${training.totalSteps}`;
  await save({
    state: 'cancelled',
    finished: new Date().toISOString(),
    message: `cancelled ${at}`,
    training,
  });
  return AuditResult.parse({
    runDir,
    state: 'cancelled',
    metricsBefore,
    metricsAfter: null,
    training,
  });
}
