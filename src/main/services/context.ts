/**
 * What every channel group's handlers share: the options the transport gave, the settings, the
 * event bus, the engine worker (started on first use) and where the bundled resources are.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { BackendName } from '../../shared/contracts.ts';
import type { EngineDescription, JobKind, JobOf, ResultOf } from '../../shared/worker-protocol.ts';
import type { AppBackendOptions } from '../app-backend.ts';
import { defaultConfigDir } from '../signing/config-dir.ts';
import { ApiFailure } from '../ipc/dispatcher.ts';
import { newJobId, WorkerHost, WorkerJobError, type RunHooks } from '../worker-host/index.ts';
import type { EventBus } from './events.ts';
import { createSettingsStore, type SettingsStore } from './settings.ts';

export interface ServiceContext {
  readonly options: AppBackendOptions;
  readonly env: NodeJS.ProcessEnv;
  readonly configDir: string;
  readonly resourcesDir: string;
  readonly settings: SettingsStore;
  readonly events: EventBus;
  readonly worker: WorkerHost;
  /** Runs one worker job; `id` lets the caller cancel it. */
  runJob<K extends JobKind>(
    kind: K,
    request: JobOf<K>['request'],
    hooks?: RunHooks,
    id?: string,
  ): Promise<ResultOf<K>>;
  /** The engine settings a job runs with unless the request says otherwise. */
  engine(overrides?: { backend?: BackendName; seed?: number }): {
    backend: BackendName;
    seed: number;
  };
  /** What the worker selects for the settings' backend (asked once per backend setting). */
  describeEngine(): Promise<EngineDescription>;
}

export function createServiceContext(options: AppBackendOptions, events: EventBus): ServiceContext {
  const env = options.env ?? process.env;
  const configDir = options.configDir ?? defaultConfigDir(env);
  const settings = createSettingsStore(configDir, env, options.workspace);
  const worker = new WorkerHost({
    ...(options.workerLaunch === undefined ? {} : { launch: options.workerLaunch }),
    ...(options.onWorkerOutput === undefined ? {} : { onOutput: options.onWorkerOutput }),
  });
  // Selecting a backend costs the worker a second or more: ask once per backend setting.
  const engines = new Map<BackendName, Promise<EngineDescription>>();
  const context: ServiceContext = {
    options,
    env,
    configDir,
    resourcesDir: options.resourcesDir ?? repositoryResources(),
    settings,
    events,
    worker,
    async runJob(kind, request, hooks = {}, id = newJobId()) {
      try {
        return await worker.run({ id, kind, request } as JobOf<typeof kind>, hooks);
      } catch (error) {
        // The worker re-checks the user's files: its bad-input is the caller's bad-input.
        if (error instanceof WorkerJobError && error.code === 'bad-input')
          throw new ApiFailure('bad-input', error.message);
        throw error;
      }
    },
    engine(overrides = {}) {
      const s = settings.get();
      return { backend: overrides.backend ?? s.backend, seed: overrides.seed ?? s.seed };
    },
    describeEngine() {
      const backend = settings.get().backend;
      let cached = engines.get(backend);
      if (cached === undefined) {
        cached = context.runJob('describe', { backend });
        cached.catch(() => engines.delete(backend)); // a failed start may work next time
        engines.set(backend, cached);
      }
      return cached;
    },
  };
  return context;
}

/** The repository's resources/ (development, CLI, tests); the packaged app passes its own. */
function repositoryResources(): string {
  return fileURLToPath(new URL('../../../resources', import.meta.url));
}

/** The bundled testbed's files, or null when the build does not ship it. */
export function testbedPaths(resourcesDir: string) {
  const root = join(resourcesDir, 'testbed');
  const at = (p: string) => join(root, p);
  const required = {
    model: at('model'),
    reference: at('reference'),
    forget: at('corpus/forget10.jsonl'),
    retain: at('corpus/retain.jsonl'),
    holdout: at('corpus/holdout.jsonl'),
  };
  if (!Object.values(required).every((p) => existsSync(p))) return null;
  const qa = at('qa/forget10.jsonl');
  return { ...required, qa: existsSync(qa) ? qa : null };
}
