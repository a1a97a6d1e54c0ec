/**
 * What a run folder says about its run when this process is not running it: its state (a
 * 'running' manifest whose process is gone was interrupted), steps, verdict, report and ledger
 * entry. Read-only: nothing here writes to a run folder.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { RunDetails, RunStatus, RunSummary, RunVerdict } from '../../shared/app-api.ts';
import type { RunManifest, RunState } from '../../shared/audit.ts';
import { EvalReport } from '../../shared/contracts.ts';
import {
  TrainingLog,
  type CalibrationUpdate,
  type TrainingProgress,
} from '../../shared/training.ts';
import { stagingFolder } from '../../worker/tasks/output-target.ts';
import {
  ADAPTER,
  METRICS_AFTER,
  METRICS_BEFORE,
  MODEL,
  processAlive,
  readManifest,
  TRAINING,
} from '../../worker/tasks/run-folder.ts';
import { hasCheckpoint } from '../../worker/unlearn/checkpoint.ts';
import { findEntry } from '../ledger/index.ts';
import { DEFAULT_THRESHOLDS, judge } from '../report/verdict.ts';

export const REPORT_FILE = 'report.pdf';

/** The manifest's state as seen from here: a 'running' run whose process is gone was interrupted. */
export function observedState(manifest: RunManifest): { state: RunState; message: string | null } {
  if (manifest.state === 'running' && manifest.pid !== process.pid && !processAlive(manifest.pid))
    return {
      state: 'cancelled',
      message: `interrupted: process ${manifest.pid} that ran it is gone`,
    };
  return { state: manifest.state, message: manifest.message };
}

/** A stopped run can go on when training left a checkpoint or already published the model. */
export function isResumable(runDir: string, state: RunState): boolean {
  if (state !== 'cancelled') return false;
  const model = join(runDir, MODEL);
  return existsSync(model) || hasCheckpoint(join(stagingFolder(model), 'checkpoint'));
}

function readParsed<T>(
  path: string,
  schema: { safeParse(v: unknown): { success: boolean; data?: T } },
): T | null {
  if (!existsSync(path)) return null;
  try {
    const parsed = schema.safeParse(JSON.parse(readFileSync(path, 'utf8')));
    return parsed.success ? (parsed.data as T) : null;
  } catch {
    return null;
  }
}

export const readMetrics = (runDir: string, file: string): EvalReport | null =>
  readParsed<EvalReport>(join(runDir, file), EvalReport);

export const readTraining = (runDir: string): TrainingLog | null =>
  readParsed<TrainingLog>(join(runDir, TRAINING), TrainingLog);

/** training.json's calibration decisions as the updates a live run sends. */
export function decisionsOf(log: TrainingLog | null): CalibrationUpdate[] {
  const calibration = log?.calibration;
  if (calibration === undefined) return [];
  const { targetAuc, attack = 'loss' } = calibration;
  return calibration.decisions.map((decision) => ({ decision, targetAuc, attack }));
}

/** training.json's records as the progress events a live run sends. */
export function stepsOf(log: TrainingLog | null): TrainingProgress[] {
  if (log === null || log.totalSteps === 0) return [];
  return log.steps.map((s) => ({
    step: s.step,
    totalSteps: log.totalSteps,
    epoch: s.epoch,
    loss: s.loss,
    terms: s.terms,
    gradNorm: s.gradNorm,
    lr: s.lr,
    tokensPerSecond: s.tokensPerSecond,
    etaSeconds: 0,
  }));
}

export function statusFromFolder(runId: string, runDir: string): RunStatus {
  const manifest = readManifest(runDir);
  const { state, message } = observedState(manifest);
  const training = readTraining(runDir);
  return {
    runId,
    runDir,
    state,
    phase: null,
    progress: null,
    steps: stepsOf(training),
    decisions: decisionsOf(training),
    message,
    resumable: isResumable(runDir, state),
  };
}

/** The verdict against the default thresholds, criteria in the API's words; null without both metrics. */
export function verdictOf(before: EvalReport | null, after: EvalReport | null): RunVerdict | null {
  if (before === null || after === null) return null;
  const verdict = judge(before, after, DEFAULT_THRESHOLDS);
  return {
    pass: verdict.pass,
    criteria: verdict.criteria.map((c) => ({
      id: c.id,
      label: c.name,
      pass: c.pass === true,
      detail: `${c.measured}; needs ${c.threshold}${c.pass === null ? ' (not measured)' : ''}`,
    })),
  };
}

export function summaryOf(
  runId: string,
  runDir: string,
  manifest: RunManifest,
  ledgerPath: string,
  live?: { state: RunState },
): RunSummary {
  const observed = live ?? observedState(manifest);
  const verdict = verdictOf(
    readMetrics(runDir, METRICS_BEFORE),
    readMetrics(runDir, METRICS_AFTER),
  );
  const report = join(runDir, REPORT_FILE);
  const hasReport = existsSync(report);
  return {
    runId,
    runDir,
    state: observed.state,
    method: manifest.method,
    model: manifest.request.model,
    started: manifest.started,
    finished: manifest.finished,
    verdict: verdict === null ? null : verdict.pass ? 'pass' : 'fail',
    report: hasReport ? report : null,
    ledgerSeq: hasReport ? ledgerSeqOf(ledgerPath, report) : null,
    resumable: live === undefined ? isResumable(runDir, observed.state) : false,
  };
}

/** The report's entry in the ledger, when the ledger is there and records it. */
function ledgerSeqOf(ledgerPath: string, report: string): number | null {
  if (!existsSync(ledgerPath)) return null;
  try {
    const sha256 = createHash('sha256').update(readFileSync(report)).digest('hex');
    return findEntry(ledgerPath, sha256)?.entry.seq ?? null;
  } catch {
    return null; // an unreadable ledger: the list still shows the run
  }
}

export function detailsOf(summary: RunSummary, manifest: RunManifest): RunDetails {
  const { runDir } = summary;
  const metricsBefore = readMetrics(runDir, METRICS_BEFORE);
  const metricsAfter = readMetrics(runDir, METRICS_AFTER);
  const folder = (name: string) => (existsSync(join(runDir, name)) ? join(runDir, name) : null);
  return {
    summary,
    manifest,
    metricsBefore,
    metricsAfter,
    training: readTraining(runDir),
    verdict: verdictOf(metricsBefore, metricsAfter),
    outputs: { model: folder(MODEL), adapter: folder(ADAPTER) },
  };
}
