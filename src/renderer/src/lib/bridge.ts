/**
 * The renderer's only way out: `window.nepenthe` (the Electron preload) when present, else the
 * browser transport of `nepenthe serve` (POST /api/<channel>, events over /api/events). Both
 * answer with ApiResult envelopes; `api.call` unwraps them and throws ApiError on `ok: false`,
 * so screens see typed values or an error with a message they can show.
 */
import type {
  ApiErrorCode,
  ApiResult,
  AppEvent,
  NepentheBridge,
  RequestOf,
  ResponseOf,
} from '../../../shared/app-api.ts';
import { ApiError } from '../../../shared/api-error.ts';
import type { ChannelName } from '../../../shared/app-channels.ts';

declare global {
  interface Window {
    nepenthe?: NepentheBridge;
  }
}

export { ApiError };

const failure = (code: ApiErrorCode, message: string): ApiResult => ({
  ok: false,
  error: { code, message },
});

function isApiResult(value: unknown): value is ApiResult {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { ok?: unknown }).ok === 'boolean'
  );
}

/** What the browser transport needs from the page; tests pass fakes. */
export interface BrowserTransport {
  fetch: typeof fetch;
  openEvents: (url: string) => Pick<EventSource, 'onmessage' | 'close'>;
}

const pageTransport = (): BrowserTransport => ({
  fetch: (...args) => fetch(...args),
  openEvents: (url) => new EventSource(url),
});

/** The HTTP side of `nepenthe serve`; the auth cookie was set when the page loaded with ?token=. */
export function browserBridge(transport: BrowserTransport = pageTransport()): NepentheBridge {
  const listeners = new Set<(event: AppEvent) => void>();
  let source: Pick<EventSource, 'onmessage' | 'close'> | null = null;

  const openEvents = () => {
    source = transport.openEvents('/api/events');
    source.onmessage = (message: MessageEvent<string>) => {
      let event: AppEvent;
      try {
        event = JSON.parse(message.data) as AppEvent;
      } catch {
        return; // a keep-alive or a line we do not understand
      }
      for (const listener of listeners) listener(event);
    };
  };

  return {
    transport: 'browser',
    async call(channel, request) {
      let response: Response;
      try {
        response = await transport.fetch(`/api/${channel}`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify(request ?? {}),
          credentials: 'same-origin',
        });
      } catch {
        return failure(
          'failed',
          'Cannot reach the Nepenthe server. Is `nepenthe serve` still running? Reload the page once it is.',
        );
      }
      const text = await response.text();
      try {
        const parsed: unknown = JSON.parse(text);
        if (isApiResult(parsed)) return parsed;
      } catch {
        // not JSON: described below
      }
      if (response.status === 401 || response.status === 403)
        return failure(
          'failed',
          'The server refused this page (not signed in). Open the address `nepenthe serve` printed, with its ?token=.',
        );
      return failure(
        'failed',
        `The server answered ${response.status} ${response.statusText} to ${channel}.`,
      );
    },
    onEvent(listener) {
      listeners.add(listener);
      if (!source) openEvents();
      return () => {
        listeners.delete(listener);
        if (listeners.size === 0 && source) {
          source.close();
          source = null;
        }
      };
    },
  };
}

/** The preload's bridge, if this page runs in the desktop app (and the preload is the full one). */
function preloadBridge(): NepentheBridge | null {
  const candidate = typeof window === 'undefined' ? undefined : window.nepenthe;
  return candidate &&
    typeof candidate.call === 'function' &&
    typeof candidate.onEvent === 'function'
    ? candidate
    : null;
}

/** The typed client over a bridge: values for `ok: true`, ApiError for `ok: false`. */
export function createApi(bridge: () => NepentheBridge) {
  return {
    get transport() {
      return bridge().transport;
    },
    async call<C extends ChannelName>(channel: C, request: RequestOf<C>): Promise<ResponseOf<C>> {
      const result = await bridge().call(channel, request);
      if (!result.ok) throw new ApiError(result.error.code, result.error.message);
      return result.value as ResponseOf<C>;
    },
    onEvent(listener: (event: AppEvent) => void): () => void {
      return bridge().onEvent(listener);
    },
    /** The local path of a dropped file (Electron only). */
    pathForFile(file: File): string | null {
      return bridge().pathForFile?.(file) ?? null;
    },
  };
}

let chosen: NepentheBridge | null = null;
export const api = createApi(() => (chosen ??= preloadBridge() ?? browserBridge()));
