/**
 * How the worker process is started. In development and in the CLI: the system `node` running
 * src/worker/index.ts through tsx. The packaged app passes its bundled Node runtime and built
 * entry instead (DESIGN.md §2: the worker cannot live inside Electron's own processes).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { PUBLIC_KEY_FILE, verifyUnpackedFiles } from './manifest.ts';

export interface WorkerLaunch {
  /** The worker's entry module. */
  readonly entry: string;
  /** The Node binary; default: the one running this process. */
  readonly execPath?: string;
  readonly execArgv?: readonly string[];
  readonly env?: NodeJS.ProcessEnv;
  /** Run once before the first start; a rejection refuses every job (the packaged manifest). */
  readonly verify?: () => Promise<unknown>;
}

export function developmentLaunch(): WorkerLaunch {
  // tsx by absolute URL: a bare `--import tsx` would resolve against the user's cwd.
  const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
  return {
    entry: fileURLToPath(new URL('../../worker/index.ts', import.meta.url)),
    execArgv: ['--import', tsx],
  };
}

export function forkWorker(launch: WorkerLaunch): ChildProcess {
  return fork(launch.entry, [], {
    ...(launch.execPath === undefined ? {} : { execPath: launch.execPath }),
    execArgv: [...(launch.execArgv ?? [])],
    env: launch.env ?? process.env,
    serialization: 'advanced', // typed arrays cross as themselves
    stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
  });
}

/**
 * The packaged app: the Node runtime shipped in resources/node (electron-builder.yml
 * extraResources) runs the built worker, which lies unpacked beside app.asar because a plain
 * Node cannot read inside an asar archive. NODE_OPTIONS is dropped: the Electron fuses ignore
 * it for the app, and the bundled Node must not pick up what they refuse. Before the first
 * start, every file outside the archive is checked against the build's signed manifest
 * (manifest.ts), whose public key is read from inside app.asar.
 */
export function packagedLaunch(
  resourcesPath: string,
  platform: NodeJS.Platform,
  env: NodeJS.ProcessEnv = process.env,
): WorkerLaunch {
  const { NODE_OPTIONS: _ignored, ...workerEnv } = env;
  return {
    entry: join(resourcesPath, 'app.asar.unpacked', 'out', 'worker', 'worker.js'),
    execPath: join(resourcesPath, 'node', platform === 'win32' ? 'node.exe' : 'node'),
    execArgv: [],
    env: workerEnv,
    verify: async () =>
      verifyUnpackedFiles(
        resourcesPath,
        await readFile(join(resourcesPath, 'app.asar', 'out', 'main', PUBLIC_KEY_FILE), 'utf8'),
      ),
  };
}
