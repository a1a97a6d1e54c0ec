/**
 * An audit's inputs, read and checked before its run folder is touched or an engine starts
 * (docs/audit.md): the documents, QA pairs, method, config and models (every weight finite); the
 * holdout's split into calibration and evaluation parts when the run steers itself; and, for
 * `--resume`, that the folder holds the same run. Bad input is a UserInputError; nothing is
 * created.
 */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { AuditRequest, type RunManifest } from '../../shared/audit.ts';
import { UserInputError } from '../../shared/errors.ts';
import { MIN_SPLIT_DOCUMENTS, splitHoldout, type HoldoutSplit } from '../data/holdout-split.ts';
import { readConfigFile, resolveConfig, wantsCalibration } from '../unlearn/config.ts';
import { methodNamed } from '../unlearn/methods/index.ts';
import { readEvalFiles, type EvalFiles, type EvalRequest } from './eval-files.ts';
import { checkFiniteWeights } from './inspect.ts';
import { checkOutputTarget } from './output-target.ts';
import {
  fileRecord,
  MODEL,
  modelRecord,
  namesHash,
  processAlive,
  readManifest,
} from './run-folder.ts';
import { readUnlearnInputs, type UnlearnInputs, type UnlearnRequest } from './unlearn.ts';

/** Everything checked before the run folder is touched. */
export interface Checked {
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

/**
 * Reads and checks every input (documents, QA pairs, method, config, models) and the run
 * folder: a fresh run needs a missing or empty folder; a resumed one a manifest that is not
 * 'done', not live in another process, and that matches this request.
 */
export async function validate(request: AuditRequest): Promise<Checked> {
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
  // Loading would refuse NaN or ±Inf weights too, but only once the run folder exists.
  checkFiniteWeights(paths.model);
  if (paths.reference !== undefined) checkFiniteWeights(paths.reference);

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

export function namesRecord(names: readonly string[]) {
  return { count: names.length, sha256: namesHash(names) };
}

/** The entries of `o` that are not undefined (exactOptionalPropertyTypes). */
export function defined<T extends Record<string, unknown>>(
  o: T,
): { [K in keyof T]?: Exclude<T[K], undefined> } {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as {
    [K in keyof T]?: Exclude<T[K], undefined>;
  };
}
