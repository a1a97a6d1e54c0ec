/**
 * Which Node runs the worker in the desktop app (DESIGN.md §2: never Electron's own, whose V8
 * memory cage refuses Dawn's external buffers). Packaged: the bundled runtime. Unpackaged
 * (`electron-vite dev`, `electron .`): the built out/worker/worker.js under the system `node`
 * from PATH, or NEPENTHE_NODE.
 */
import { join } from 'node:path';
import { packagedLaunch, type WorkerLaunch } from '../worker-host/launch.ts';

export interface LaunchContext {
  readonly isPackaged: boolean;
  readonly resourcesPath: string;
  readonly platform: NodeJS.Platform;
  /** The folder of the built main bundle (out/main). */
  readonly mainDir: string;
  readonly env: NodeJS.ProcessEnv;
}

export function desktopWorkerLaunch(context: LaunchContext): WorkerLaunch {
  if (context.isPackaged)
    return packagedLaunch(context.resourcesPath, context.platform, context.env);
  const { NODE_OPTIONS: _ignored, ELECTRON_RUN_AS_NODE: _electron, ...env } = context.env;
  return {
    entry: join(context.mainDir, '..', 'worker', 'worker.js'),
    execPath: context.env.NEPENTHE_NODE ?? 'node',
    execArgv: [],
    env,
  };
}
