/**
 * What a transport needs from the app: calls in, events out. The Electron main process wires
 * it to ipcMain and webContents.send; `nepenthe serve` to HTTP and server-sent events. Both get
 * the same object from `createAppBackend` (src/main/services), so there is one app.
 */
import type { ApiResult, AppEvent } from '../shared/app-api.ts';

export interface AppBackend {
  call(channel: unknown, payload: unknown): Promise<ApiResult>;
  /** Returns the unsubscribe function. */
  subscribe(listener: (event: AppEvent) => void): () => void;
  /** Cancels a running audit (checkpointing it), stops the worker. */
  dispose(): Promise<void>;
}
