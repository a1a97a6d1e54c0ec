/**
 * The CLI's task functions as the testbed benches call them (bench/testbed-methods.ts,
 * bench/sau-after-pruning.ts): evaluate a model folder into the numbers the tables show, prune a
 * folder, unlearn a folder with a config object. Each goes through the same path as the command
 * (readEvalFiles/evaluateFiles, readPruneInputs/pruneToFolder, readUnlearnInputs/runUnlearning),
 * so a bench measures what a user would get.
 */
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { EvalReport, PruneReport } from '../src/shared/contracts.ts';
import type { UnlearnReport } from '../src/shared/training.ts';
import type { Document } from '../src/worker/data/documents.ts';
import { referenceTargetAuc } from '../src/worker/tasks/calibration.ts';
import { evaluateFiles, readEvalFiles, type EvalRequest } from '../src/worker/tasks/eval-files.ts';
import { inspectModel } from '../src/worker/tasks/inspect.ts';
import { pruneToFolder, readPruneInputs } from '../src/worker/tasks/prune.ts';
import { readUnlearnInputs, runUnlearning } from '../src/worker/tasks/unlearn.ts';

/** The numbers of one eval document that the tables show. */
export interface Metrics {
  forgetExact: number | null;
  forgetRougeL: number | null;
  retainExact: number | null;
  holdoutExact: number | null;
  miaLossAuc: number | null;
  miaMinKAuc: number | null;
  privLeak: number | null;
  forgetQuality: number | null;
  retainNll: number | null;
  forgetNll: number | null;
  holdoutNll: number | null;
  /** Zeros over the block linear weights of the folder, as `inspect` reports it. */
  sparsity: number;
  /** sha256 of the weight files the evaluation read (the eval report's own). */
  sha256: string;
  evalSeconds: number;
}

/**
 * Evaluates the model of `request`; `holdout`, when given, replaces the documents of
 * `request.holdout` (the evaluation half of a holdout split, as an audit does).
 */
export async function measureModel(
  request: EvalRequest,
  holdout?: readonly Document[],
): Promise<Metrics> {
  const began = performance.now();
  const files = await readEvalFiles(request);
  const sets = holdout === undefined ? files.sets : { ...files.sets, holdout };
  const report: EvalReport = await evaluateFiles(request, { ...files, sets });
  const s = report.sets;
  return {
    forgetExact: s.forget.verbatim.exactRate,
    forgetRougeL: s.forget.verbatim.rougeL,
    retainExact: s.retain?.verbatim.exactRate ?? null,
    holdoutExact: s.holdout?.verbatim.exactRate ?? null,
    miaLossAuc: report.mia?.loss?.auc ?? null,
    miaMinKAuc: report.mia?.minK?.auc ?? null,
    privLeak: report.privLeak,
    forgetQuality: report.forgetQuality,
    retainNll: s.retain?.meanNll ?? null,
    forgetNll: s.forget.meanNll,
    holdoutNll: s.holdout?.meanNll ?? null,
    sparsity: (await inspectModel(request.model)).sparsity,
    sha256: report.model.sha256,
    evalSeconds: (performance.now() - began) / 1000,
  };
}

/** `<presets>/<method>.json` when it exists, else null (so too with no presets folder). */
export function presetFile(presets: string | null, method: string): string | null {
  const file = presets === null ? null : join(presets, `${method}.json`);
  return file !== null && existsSync(file) ? file : null;
}

/** `presetFile`'s keys (none without one), with `override`'s keys on top. */
export function presetConfig(
  presets: string | null,
  method: string,
  override: object = {},
): Record<string, unknown> {
  const file = presetFile(presets, method);
  const raw = file === null ? {} : (JSON.parse(readFileSync(file, 'utf8')) as object);
  return { ...raw, ...override };
}

/** `nepenthe prune <model> --method <method> --sparsity <sparsity> [--calib] --out <out>`. */
export async function pruneModel(
  model: string,
  method: string,
  sparsity: number,
  out: string,
  calib?: string,
): Promise<PruneReport> {
  const request = {
    model,
    method,
    sparsity: String(sparsity),
    out,
    ...(calib === undefined ? {} : { calib }),
  };
  return pruneToFolder(request, await readPruneInputs(request));
}

export interface UnlearnJob {
  readonly model: string;
  readonly forget: string;
  readonly retain: string;
  readonly method: string;
  /** Written to `<out>.config.json` and given as --config ({} reads as no --config). */
  readonly config: Record<string, unknown>;
  readonly out: string;
  readonly seed?: number;
  /**
   * Documents the run may steer by (an audit's calibration half of the holdout): calibrated
   * mode, when the config fixes neither lr nor epochs, and targetnll's target loss.
   */
  readonly calibration?: readonly Document[];
  /**
   * A reference model: as in an audit, a calibrated run then aims at its Min-K% AUC (forget
   * against calibration) instead of 0.5.
   */
  readonly reference?: string;
}

/** The run's report, and the AUC calibrated mode aimed at (null: not calibrated, or 0.5). */
export type UnlearnRun = UnlearnReport & { readonly targetAuc: number | null };

/** `nepenthe unlearn`, as an audit runs it when it has calibration documents and a reference. */
export async function unlearnModel(
  job: UnlearnJob,
  backend: string,
  onLog?: (line: string) => void,
): Promise<UnlearnRun> {
  const configFile = `${job.out}.config.json`;
  writeFileSync(configFile, JSON.stringify(job.config));
  const request = {
    model: job.model,
    forget: job.forget,
    retain: job.retain,
    method: job.method,
    config: configFile,
    out: job.out,
    ...(job.seed === undefined ? {} : { seed: job.seed }),
  };
  let inputs = await readUnlearnInputs(request, job.calibration);
  let targetAuc: number | null = null;
  if (inputs.config.calibrated === 'on' && job.reference !== undefined) {
    targetAuc = await referenceTargetAuc(job.reference, inputs, 'minK');
    inputs = { ...inputs, targetAuc, attack: 'minK' };
  }
  const report = await runUnlearning(request, inputs, {
    backend,
    ...(onLog === undefined ? {} : { onLog }),
  });
  return { ...report, targetAuc };
}
