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
import { join, resolve } from 'node:path';
import {
  AuditRequest,
  AuditResult,
  MANIFEST_SCHEMA,
  type Phase,
  type RunManifest,
} from '../../shared/audit.ts';
import { EvalReport } from '../../shared/contracts.ts';
import { UserInputError } from '../../shared/errors.ts';
import { TrainingLog, UnlearnReport, type TrainingProgress } from '../../shared/training.ts';
import { selectBackend } from '../engine/backend.ts';
import { MIN_SPLIT_DOCUMENTS, splitHoldout, type HoldoutSplit } from '../data/holdout-split.ts';
import { hasCheckpoint } from '../unlearn/checkpoint.ts';
import { readConfigFile, resolveConfig, wantsCalibration } from '../unlearn/config.ts';
import { methodNamed } from '../unlearn/methods/index.ts';
import {
  EvaluationCancelled,
  evaluateFiles,
  readEvalFiles,
  type EvalFiles,
  type EvalRequest,
} from './eval-files.ts';
import {
  ADAPTER,
  fileRecord,
  MANIFEST,
  METRICS_AFTER,
  METRICS_BEFORE,
  MODEL,
  modelRecord,
  namesHash,
  processAlive,
  readJson,
  readManifest,
  TRAINING,
  versions,
  hardware,
  writeJsonAtomic,
} from './run-folder.ts';
import { checkOutputTarget, OutputTarget, stagingFolder } from './output-target.ts';
import {
  readUnlearnInputs,
  referenceTargetAuc,
  runUnlearning,
  type UnlearnInputs,
  type UnlearnRequest,
} from './unlearn.ts';

export interface AuditHooks {
  readonly signal?: AbortSignal;
  readonly onProgress?: (label: string, done: number, total: number) => void;
  readonly onStep?: (progress: TrainingProgress) => void;
  readonly onLog?: (message: string) => void;
}

/** Everything checked before the run folder is touched. */
interface Checked {
  readonly runDir: string;
  readonly request: AuditRequest;
  readonly evalRequest: EvalRequest;
  readonly evalFiles: EvalFiles;
  readonly unlearnRequest: UnlearnRequest;
  readonly unlearnInputs: UnlearnInputs;
  readonly inputs: RunManifest['inputs'];
  readonly prior: RunManifest | undefined;
  /** The holdout's calibration and evaluation parts, when the method steers itself by one. */
  readonly holdoutSplit: HoldoutSplit | undefined;
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

/**
 * Reads and checks every input (documents, QA pairs, method, config, models) and the run
 * folder: a fresh run needs a missing or empty folder; a resumed one a manifest that is not
 * 'done', not live in another process, and that matches this request.
 */
async function validate(request: AuditRequest): Promise<Checked> {
  return checkInputs(request);
}

/**
 * The same checks, for a caller that wants bad input to fail before it starts a worker (the
 * CLI): throws `UserInputError`; creates nothing.
 */
export async function checkAuditRequest(request: AuditRequest): Promise<void> {
  await checkInputs(AuditRequest.parse(request));
}

async function checkInputs(request: AuditRequest): Promise<Checked> {
  const runDir = resolve(request.out);
  const abs = (p: string | undefined) => (p === undefined ? undefined : resolve(p));
  const paths = {
    model: resolve(request.model),
    forget: resolve(request.forget),
    retain: abs(request.retain),
    holdout: abs(request.holdout),
    qa: abs(request.qa),
    reference: abs(request.reference),
    config: abs(request.config),
  };
  // The run folder first: one that cannot be written is found before any input is read.
  if (!request.resume) checkOutputTarget(runDir, { kind: 'folder', inputs: Object.values(paths) });
  const prior = request.resume ? resumable(runDir) : undefined;
  const evalRequest: EvalRequest = {
    model: paths.model,
    forget: paths.forget,
    ...defined({ retain: paths.retain, holdout: paths.holdout, qa: paths.qa }),
    ...defined({ reference: paths.reference, names: request.names }),
  };
  let evalFiles = await readEvalFiles(evalRequest);
  // Calibrated mode, and a method that steers itself by documents it never saw (targetnll),
  // get half the holdout; the metrics see only the other half.
  const method = methodNamed(request.method);
  const rawConfig = paths.config === undefined ? {} : readConfigFile(paths.config);
  const runConfig = resolveConfig(rawConfig, method, paths.config, request.seed);
  let holdoutSplit: HoldoutSplit | undefined;
  const required = method.needsCalibration?.(runConfig) === true || runConfig.calibrated === 'on';
  if (required || wantsCalibration(runConfig, rawConfig)) {
    const holdout = evalFiles.sets.holdout;
    const enough = holdout !== undefined && holdout.length >= MIN_SPLIT_DOCUMENTS;
    if (!enough && required)
      throw new UserInputError(
        paths.holdout,
        `${method.name} steers itself by documents the model never saw: give --holdout with at least ${MIN_SPLIT_DOCUMENTS} documents (half of them steer the run, the other half are evaluated), or fix "lr" and "epochs" (and "targetNll" for targetnll) in the config`,
      );
    if (enough) {
      holdoutSplit = splitHoldout(holdout, runConfig.seed);
      evalFiles = { ...evalFiles, sets: { ...evalFiles.sets, holdout: holdoutSplit.evaluation } };
    }
  }
  const unlearnRequest: UnlearnRequest = {
    model: paths.model,
    forget: paths.forget,
    method: request.method,
    out: join(runDir, MODEL),
    seed: request.seed,
    ...defined({ retain: paths.retain, config: paths.config }),
  };
  // readUnlearnInputs checks that its `out` is free and its parent exists: for a fresh run
  // that is the run folder itself; a resumed run's folder was checked by resumable().
  const unlearnInputs = await readUnlearnInputs(
    {
      ...unlearnRequest,
      out: prior ? join(runDir, `.${MODEL}.unused`) : runDir,
      resume: false,
    },
    holdoutSplit?.calibration,
  );
  if (paths.reference !== undefined) await modelRecord(paths.reference); // a readable checkpoint

  const record = (p: string | undefined) => (p === undefined ? undefined : fileRecord(p));
  const inputs: RunManifest['inputs'] = {
    model: await modelRecord(paths.model),
    forget: (await record(paths.forget))!,
    ...defined({
      retain: await record(paths.retain),
      holdout: await record(paths.holdout),
      qa: await record(paths.qa),
      config: await record(paths.config),
      reference: paths.reference === undefined ? undefined : await modelRecord(paths.reference),
    }),
  };
  const checked: Checked = {
    runDir,
    request,
    evalRequest,
    evalFiles,
    unlearnRequest,
    unlearnInputs,
    inputs,
    prior,
    holdoutSplit,
  };
  if (prior) checkSameRun(checked, prior);
  return checked;
}

/** The manifest of a run folder that may be resumed, or a UserInputError saying why not. */
function resumable(runDir: string): RunManifest {
  if (!existsSync(runDir))
    throw new UserInputError(runDir, 'no such run folder to resume; run without --resume');
  const prior = readManifest(runDir);
  if (prior.state === 'done')
    throw new UserInputError(runDir, 'this audit is already done; nothing to resume');
  if (prior.state === 'running' && prior.pid !== process.pid && processAlive(prior.pid))
    throw new UserInputError(
      runDir,
      `this audit is still running in process ${prior.pid}; stop it first or wait for it`,
    );
  return prior;
}

/** A resumed run must be the same run: method, resolved config, seed and input bytes. */
function checkSameRun(checked: Checked, prior: RunManifest): void {
  const { runDir, request, unlearnInputs, inputs } = checked;
  const differs: string[] = [];
  if (prior.method !== unlearnInputs.method.name) differs.push('method');
  if (JSON.stringify(prior.config) !== JSON.stringify(unlearnInputs.config)) differs.push('config');
  if (prior.seed !== request.seed) differs.push('seed');
  const names = request.names === undefined ? undefined : namesRecord(request.names);
  if (JSON.stringify(prior.request.names) !== JSON.stringify(names)) differs.push('names');
  for (const key of Object.keys({ ...prior.inputs, ...inputs }) as (keyof typeof inputs)[]) {
    // The config file's bytes may change (formatting) as long as the resolved config does not.
    if (key === 'config') continue;
    if (prior.inputs[key]?.sha256 !== inputs[key]?.sha256) differs.push(`${key} (sha256)`);
  }
  if (differs.length > 0)
    throw new UserInputError(
      runDir,
      `was started with another ${differs.join(', ')}; resume it with the same inputs, or start a new run`,
    );
}

function namesRecord(names: readonly string[]) {
  return { count: names.length, sha256: namesHash(names) };
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
  // The reference model, when given, sets where calibrated mode stops: its own AUC.
  let steered = inputs;
  const reference = checked.evalRequest.reference;
  if (inputs.config.calibrated === 'on' && reference !== undefined) {
    hooks.onProgress?.('reference model: its loss attack AUC on the calibration half', 0, 1);
    const targetAuc = await referenceTargetAuc(reference, inputs);
    hooks.onLog?.(
      `calibrated mode aims at the reference model's AUC, ${targetAuc.toFixed(3)} (forget against the calibration half)`,
    );
    steered = { ...inputs, targetAuc };
  }
  return runUnlearning({ ...request, resume }, steered, {
    backend,
    ...defined({
      signal: hooks.signal,
      onProgress: hooks.onProgress,
      onStep: hooks.onStep,
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

/** The entries of `o` that are not undefined (exactOptionalPropertyTypes). */
function defined<T extends Record<string, unknown>>(
  o: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
