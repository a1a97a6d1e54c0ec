/**
 * The audit runs: `run.start` / `run.resume` start the worker's audit job in the background
 * (one at a time) and turn its hooks into AppEvents; `run.cancel`, `run.status`, `runs.list`,
 * `runs.open`. Inputs given as several files are copied into one folder per set under
 * `<workspace>/.inputs/<runId>/` (the document readers take folders); the config is written
 * there too, and everything is checked with the audit's own checks before the job starts.
 */
import { randomBytes } from 'node:crypto';
import {
  cpSync,
  existsSync,
  lstatSync,
  mkdirSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { basename, join, resolve } from 'node:path';
import type { RunStartRequest, RunStatus } from '../../shared/app-api.ts';
import { RunId } from '../../shared/app-api.ts';
import type { AuditRequest, RunState } from '../../shared/audit.ts';
import type { CalibrationUpdate, TrainingProgress } from '../../shared/training.ts';
import { listDocumentFiles } from '../../worker/data/documents.ts';
import { checkAuditRequest } from '../../worker/tasks/audit-inputs.ts';
import { readManifest } from '../../worker/tasks/run-folder.ts';
import { resolveConfig } from '../../worker/unlearn/config.ts';
import { methodNamed } from '../../worker/unlearn/methods/index.ts';
import { ApiFailure, type Handlers } from '../ipc/dispatcher.ts';
import { newJobId } from '../worker-host/index.ts';
import type { ServiceContext } from './context.ts';
import {
  detailsOf,
  isResumable,
  decisionsOf,
  readTraining,
  statusFromFolder,
  stepsOf,
  summaryOf,
} from './run-records.ts';

type RunHandlers = Pick<
  Handlers,
  'run.start' | 'run.cancel' | 'run.resume' | 'run.status' | 'runs.list' | 'runs.open'
>;

/** A run this process started: its live state, kept after it ends for `run.status`. */
interface LiveRun {
  readonly runId: string;
  readonly runDir: string;
  readonly jobId: string;
  /** The forget people's names: never stored, so kept here for a resume in this session. */
  readonly names: readonly string[] | undefined;
  state: RunState;
  phase: RunStatus['phase'];
  progress: RunStatus['progress'];
  steps: TrainingProgress[];
  decisions: CalibrationUpdate[];
  message: string | null;
  /** Settles when the job ends (whatever the outcome). */
  ended: Promise<void>;
}

export interface RunManager {
  readonly handlers: RunHandlers;
  /** Cancels the running audit and waits (at most `timeoutMs`) for its checkpoint. */
  stop(timeoutMs: number): Promise<void>;
}

/** `run-YYYYMMDD-HHMMSS-xxxx`, local time. */
export function newRunId(now = new Date()): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const date = `${now.getFullYear()}${p(now.getMonth() + 1)}${p(now.getDate())}`;
  const time = `${p(now.getHours())}${p(now.getMinutes())}${p(now.getSeconds())}`;
  return `run-${date}-${time}-${randomBytes(2).toString('hex')}`;
}

/** The phase a progress label belongs to (the audit prefixes its evaluations' labels). */
function phaseOf(label: string): RunStatus['phase'] {
  if (label.startsWith('before:')) return 'evalBefore';
  if (label.startsWith('after:')) return 'evalAfter';
  return 'unlearn';
}

export function createRunManager(context: ServiceContext): RunManager {
  const live = new Map<string, LiveRun>();
  let active: LiveRun | undefined;
  const workspace = () => context.settings.get().workspace;
  const runDirOf = (runId: string) => join(workspace(), runId);

  /**
   * A start or resume between its checks and its launch. Claimed before anything is written or
   * awaited, so of two simultaneous starts the loser is refused before it copies its inputs.
   */
  let starting: string | undefined;
  const assertIdle = () => {
    if (active !== undefined && active.state === 'running')
      throw new ApiFailure('busy', `run ${active.runId} is still going; cancel it or wait for it`);
    if (starting !== undefined)
      throw new ApiFailure('busy', `run ${starting} is being started; wait for it`);
  };
  /** Runs `start` holding the start slot; released whatever the outcome. */
  const claimStart = async <T>(runId: string, start: () => Promise<T>): Promise<T> => {
    assertIdle();
    starting = runId;
    try {
      return await start();
    } finally {
      starting = undefined;
    }
  };

  /** Starts the audit job in the background; returns once it is queued. */
  const launch = (runId: string, request: AuditRequest) => {
    const run: LiveRun = {
      runId,
      runDir: request.out,
      jobId: newJobId(),
      names: request.names,
      state: 'running',
      phase: 'validate',
      progress: null,
      steps: [],
      decisions: [],
      message: null,
      ended: Promise.resolve(),
    };
    live.set(runId, run);
    active = run;
    const emit = context.events.emit;
    emit({ kind: 'run.state', runId, state: 'running', message: null });
    const job = context.worker.run(
      { id: run.jobId, kind: 'audit', request },
      {
        onProgress(label, done, total) {
          run.phase = phaseOf(label);
          run.progress = { label, done, total };
          emit({ kind: 'run.progress', runId, phase: run.phase, label, done, total });
        },
        onStep(progress) {
          run.phase = 'unlearn';
          run.steps.push(progress);
          emit({ kind: 'run.step', runId, progress });
        },
        onDecision(update) {
          run.decisions.push(update);
          emit({ kind: 'run.decision', runId, update });
        },
        onLog(level, message) {
          emit({ kind: 'run.log', runId, level, message });
        },
      },
    );
    run.ended = job.then(
      (result) => {
        run.state = result.state;
        run.message =
          result.state === 'cancelled'
            ? `cancelled at step ${result.training.steps} of ${result.training.totalSteps}`
            : null;
      },
      (error: unknown) => {
        run.state = 'failed';
        run.message = error instanceof Error ? error.message : String(error);
      },
    );
    void run.ended.then(() => {
      if (run.state === 'done') {
        const training = readTraining(run.runDir);
        run.steps = stepsOf(training);
        run.decisions = decisionsOf(training);
      }
      emit({ kind: 'run.state', runId, state: run.state, message: run.message });
    });
  };

  /** Checks the request like the CLI does, so bad input fails now rather than in the background. */
  const check = async (request: AuditRequest, cleanup: () => void) => {
    try {
      await checkAuditRequest(request);
    } catch (error) {
      cleanup();
      throw error;
    }
  };

  const liveStatus = (run: LiveRun): RunStatus => ({
    runId: run.runId,
    runDir: run.runDir,
    state: run.state,
    phase: run.phase,
    progress: run.progress,
    steps: run.steps,
    decisions: run.decisions,
    message: run.message,
    resumable: run.state !== 'running' && isResumable(run.runDir, run.state),
  });

  const existingRun = (runId: string) => {
    const runDir = runDirOf(runId);
    if (!existsSync(join(runDir, 'manifest.json')))
      throw new ApiFailure('not-found', `no run ${runId} in ${workspace()}`);
    return runDir;
  };

  const handlers: RunHandlers = {
    async 'run.start'(request) {
      assertIdle();
      const method = methodNamed(request.method);
      const settings = context.settings.get();
      const seed = request.seed ?? settings.seed;
      resolveConfig(request.config ?? {}, method, 'config', seed);
      await checkDocumentPaths(request);
      const runId = newRunId();
      return claimStart(runId, async () => {
        const runDir = runDirOf(runId);
        const inputs = join(workspace(), '.inputs', runId);
        const cleanup = () => rmSync(inputs, { recursive: true, force: true });
        let audit: AuditRequest;
        try {
          audit = auditRequest(request, runDir, inputs, seed, settings.backend);
        } catch (error) {
          cleanup();
          throw error;
        }
        await check(audit, cleanup);
        launch(runId, audit);
        return { runId, runDir };
      });
    },
    async 'run.cancel'({ runId }) {
      const run = live.get(runId);
      if (run === undefined) {
        existingRun(runId);
        throw new ApiFailure('bad-input', `run ${runId} is not running in this app`);
      }
      if (run.state === 'running') context.worker.cancel(run.jobId);
      return { ok: true as const };
    },
    async 'run.resume'({ runId, names: given }) {
      assertIdle();
      const runDir = existingRun(runId);
      const prior = readManifest(runDir);
      const names = given ?? live.get(runId)?.names;
      if (prior.request.names !== undefined && names === undefined)
        throw new ApiFailure(
          'bad-input',
          `${runId} was started with ${prior.request.names.count} names to protect, which are not ` +
            `stored (personal data): enter them again under Documents, then resume`,
        );
      const { names: _stored, ...stored } = prior.request;
      const audit: AuditRequest = {
        ...stored,
        ...(names === undefined ? {} : { names: [...names] }),
        out: runDir,
        resume: true,
      };
      return claimStart(runId, async () => {
        await check(audit, () => undefined);
        launch(runId, audit);
        return { runId, runDir };
      });
    },
    async 'run.status'({ runId }) {
      const run = live.get(runId);
      if (run !== undefined) return liveStatus(run);
      return statusFromFolder(runId, existingRun(runId));
    },
    async 'runs.list'() {
      const root = workspace();
      if (!existsSync(root)) return { runs: [] };
      const ledgerPath = context.settings.get().ledgerPath;
      const runs = readdirSync(root, { withFileTypes: true })
        .filter((e) => e.isDirectory() && RunId.safeParse(e.name).success)
        .flatMap((e) => {
          const runDir = join(root, e.name);
          try {
            const manifest = readManifest(runDir);
            const running = live.get(e.name);
            return [
              summaryOf(
                e.name,
                runDir,
                manifest,
                ledgerPath,
                running?.state === 'running' ? running : undefined,
              ),
            ];
          } catch {
            return []; // not a run folder (a model, uploads) or a damaged one
          }
        })
        .sort((a, b) => b.started.localeCompare(a.started) || b.runId.localeCompare(a.runId));
      return { runs };
    },
    async 'runs.open'({ runId }) {
      const runDir = existingRun(runId);
      const manifest = readManifest(runDir);
      const running = live.get(runId);
      const summary = summaryOf(
        runId,
        runDir,
        manifest,
        context.settings.get().ledgerPath,
        running?.state === 'running' ? running : undefined,
      );
      return detailsOf(summary, manifest);
    },
  };

  return {
    handlers,
    async stop(timeoutMs) {
      const run = active;
      if (run === undefined || run.state !== 'running') return;
      context.worker.cancel(run.jobId);
      await Promise.race([run.ended, new Promise((r) => setTimeout(r, timeoutMs).unref())]);
    },
  };
}

/** The worker's audit request: several files per set become one folder of copies. */
function auditRequest(
  request: RunStartRequest,
  runDir: string,
  inputs: string,
  seed: number,
  defaultBackend: AuditRequest['backend'],
): AuditRequest {
  const set = (name: string, paths: readonly string[] | undefined) => {
    if (paths === undefined || paths.length === 0) return undefined;
    if (paths.length === 1) return resolve(paths[0]!);
    const folder = join(inputs, name);
    mkdirSync(folder, { recursive: true });
    for (const path of paths) {
      const source = resolve(path);
      if (!existsSync(source))
        throw new ApiFailure('bad-input', `${source}: no such file or folder`);
      cpSync(source, freeName(folder, basename(source)), { recursive: true, filter: copyable });
    }
    return folder;
  };
  const optional = <T>(key: string, value: T | undefined) =>
    value === undefined ? {} : { [key]: value };
  let config: string | undefined;
  if (request.config !== undefined) {
    mkdirSync(inputs, { recursive: true });
    config = join(inputs, 'config.json');
    writeFileSync(config, `${JSON.stringify(request.config, null, 2)}\n`);
  }
  return {
    model: resolve(request.model),
    forget: set('forget', request.forget)!,
    ...optional('retain', set('retain', request.retain)),
    ...optional('holdout', set('holdout', request.holdout)),
    ...optional('qa', request.qa === undefined ? undefined : resolve(request.qa)),
    ...optional(
      'reference',
      request.reference === undefined ? undefined : resolve(request.reference),
    ),
    ...optional('names', request.names),
    ...optional('config', config),
    method: request.method,
    out: runDir,
    backend: request.backend ?? defaultBackend,
    seed,
  };
}

/**
 * Each chosen document path checked by the readers' rules (docs/documents.md) before any is
 * copied into the run's inputs: an error then names the officer's own file, not its copy, and
 * a FIFO or a link loop is refused before `cpSync` meets it.
 */
async function checkDocumentPaths(request: RunStartRequest): Promise<void> {
  for (const set of [request.forget, request.retain ?? [], request.holdout ?? []])
    for (const path of set) await listDocumentFiles(resolve(path));
  if (request.qa !== undefined) await listDocumentFiles(resolve(request.qa), { qa: true });
}

/** What a copied set keeps: files, folders and links; never a FIFO, socket or device. */
function copyable(source: string): boolean {
  const stats = lstatSync(source);
  return stats.isFile() || stats.isDirectory() || stats.isSymbolicLink();
}

/** `name`, or `name-2`, `name-3`, … when two chosen files share a name. */
function freeName(folder: string, name: string): string {
  for (let n = 1; ; n++) {
    const candidate = join(folder, n === 1 ? name : `${n}-${name}`);
    if (!existsSync(candidate)) return candidate;
  }
}
