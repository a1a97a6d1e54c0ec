/**
 * What a transport needs from the app: calls in, events out. The Electron main process wires
 * it to ipcMain and webContents.send; `nepenthe serve` to HTTP and server-sent events. Both get
 * the same object from `createAppBackend` (src/main/services), so there is one app.
 */
import type {
  ApiResult,
  AppEvent,
  FilesPickResponse,
  RequestOf,
  Transport,
} from '../shared/app-api.ts';
import type { z } from 'zod';
import type { WorkerLaunch } from './worker-host/launch.ts';
import type { SecretStore } from './secrets.ts';

export interface AppBackend {
  call(channel: unknown, payload: unknown): Promise<ApiResult>;
  /** Returns the unsubscribe function. */
  subscribe(listener: (event: AppEvent) => void): () => void;
  /** Cancels a running audit (checkpointing it), stops the worker. */
  dispose(): Promise<void>;
}

/** Native dialogs (Electron); absent on the browser transport (`files.pick` → supported: false). */
export interface Dialogs {
  pick(request: RequestOf<'files.pick'>): Promise<z.infer<typeof FilesPickResponse>>;
}

/** Opening a folder in the OS file manager (Electron's shell.openPath). */
export interface Shell {
  openFolder(path: string): Promise<boolean>;
}

export interface AppBackendOptions {
  readonly transport: Transport;
  readonly secrets: SecretStore;
  /** Default: process.env. Read for XDG_CONFIG_HOME / XDG_DATA_HOME / HOME and passphrases. */
  readonly env?: NodeJS.ProcessEnv;
  /** Overrides the settings' workspace (serve --workspace, tests). */
  readonly workspace?: string;
  /** Default: defaultConfigDir(env): settings.json, identity.p12, ledger.jsonl. */
  readonly configDir?: string;
  /** Default: the repository's resources/ (the packaged app passes process.resourcesPath). */
  readonly resourcesDir?: string;
  readonly dialogs?: Dialogs;
  readonly shell?: Shell;
  /** The packaged app's bundled Node runtime and built worker entry. */
  readonly workerLaunch?: WorkerLaunch;
  /** The worker's own stdout/stderr. */
  readonly onWorkerOutput?: (text: string) => void;
  /** Handler errors that are not the caller's fault. */
  readonly onInternalError?: (channel: string, error: unknown) => void;
}
