/**
 * The Electron transport of the app API: one `ipcMain.handle` per channel, each refusing
 * callers that are not the app's own page, then handing the payload, untouched, to the backend
 * (which validates it with the channel's zod schema). Events go down one channel to the window.
 * Takes ipcMain-like objects, not electron itself, so tests drive it with fakes.
 */
import type { ApiResult, AppEvent } from '../../shared/app-api.ts';
import { CHANNEL_NAMES, IPC_EVENT_CHANNEL, ipcChannel } from '../../shared/app-channels.ts';
import type { AppBackend } from '../app-backend.ts';

/** The part of Electron's IpcMainInvokeEvent this transport reads. */
export interface InvokeEventLike {
  /** Null when the frame has navigated away or been destroyed. */
  readonly senderFrame: { readonly url: string } | null;
}

export interface IpcMainLike {
  handle(channel: string, listener: (event: InvokeEventLike, ...args: unknown[]) => unknown): void;
  removeHandler(channel: string): void;
}

export interface EventTargetLike {
  send(channel: string, event: AppEvent): void;
  isDestroyed(): boolean;
}

export interface RegisterIpcOptions {
  /** Whether a frame URL is the app's own renderer (see app-origin.ts). */
  readonly isOwnPage: (url: string | undefined) => boolean;
}

/** Registers every channel; returns the function that removes them again. */
export function registerIpc(
  ipcMain: IpcMainLike,
  backend: AppBackend,
  options: RegisterIpcOptions,
): () => void {
  for (const name of CHANNEL_NAMES) {
    ipcMain.handle(ipcChannel(name), async (event, payload): Promise<ApiResult> => {
      const url = event.senderFrame?.url;
      if (!options.isOwnPage(url)) {
        return {
          ok: false,
          error: {
            code: 'bad-request',
            message: `${name}: refused a call from ${url === undefined ? 'a closed frame' : JSON.stringify(url)}, which is not the app's own page`,
          },
        };
      }
      try {
        return await backend.call(name, payload);
      } catch (error) {
        // backend.call answers every outcome with an ApiResult; this is the bug case, and the
        // bridge promises the renderer a result, never a rejection.
        return { ok: false, error: { code: 'failed', message: `${name}: ${String(error)}` } };
      }
    });
  }
  return () => {
    for (const name of CHANNEL_NAMES) ipcMain.removeHandler(ipcChannel(name));
  };
}

/** Sends every backend event to the window while it lives; returns the unsubscribe. */
export function forwardEvents(backend: AppBackend, target: EventTargetLike): () => void {
  const unsubscribe = backend.subscribe((event) => {
    if (target.isDestroyed()) unsubscribe();
    else target.send(IPC_EVENT_CHANNEL, event);
  });
  return unsubscribe;
}
