/**
 * One entry point for every API call, whatever the transport (Electron IPC, `nepenthe serve`):
 * checks the channel name, validates the request with the channel's schema, runs the handler,
 * and turns every outcome into an `ApiResult`. It never throws and never lets a handler see an
 * unvalidated payload, so a malformed or hostile message gets a typed error, not a crash.
 */
import { z } from 'zod';
import {
  CHANNELS,
  type ApiErrorCode,
  type ApiResult,
  type RequestOf,
  type ResponseOf,
} from '../../shared/app-api.ts';
import { isChannelName, type ChannelName } from '../../shared/app-channels.ts';
import { isUserInputError } from '../../shared/errors.ts';

/** The handlers receive parsed requests (zod output) and return responses. */
export type Handlers = {
  readonly [C in ChannelName]: (
    request: z.output<(typeof CHANNELS)[C]['request']>,
  ) => Promise<ResponseOf<C>>;
};

/** A handler's way to choose the error code the caller sees. */
export class ApiFailure extends Error {
  override readonly name = 'ApiFailure';
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface Dispatcher {
  call(channel: unknown, payload: unknown): Promise<ApiResult>;
}

export interface DispatcherOptions {
  /** Validate responses too (tests, development): a handler returning a wrong shape is a bug. */
  readonly checkResponses?: boolean;
  /** Errors that are not the caller's fault (code `failed`), for the log. */
  readonly onInternalError?: (channel: ChannelName, error: unknown) => void;
}

export function createDispatcher(handlers: Handlers, options: DispatcherOptions = {}): Dispatcher {
  return {
    async call(channel, payload) {
      if (!isChannelName(channel))
        return failure('unknown-channel', `unknown channel ${describeName(channel)}`);
      const schema = CHANNELS[channel];
      const parsed = schema.request.safeParse(payload);
      if (!parsed.success) return failure('bad-request', `${channel}: ${issues(parsed.error)}`);
      try {
        const handler = handlers[channel] as (request: unknown) => Promise<unknown>;
        const value = await handler(parsed.data);
        if (options.checkResponses) {
          const checked = schema.response.safeParse(value);
          if (!checked.success)
            throw new Error(`${channel} answered a wrong shape: ${issues(checked.error)}`);
        }
        return { ok: true, value };
      } catch (error) {
        if (error instanceof ApiFailure) return failure(error.code, error.message);
        if (isUserInputError(error)) return failure('bad-input', error.message);
        options.onInternalError?.(channel, error);
        return failure('failed', error instanceof Error ? error.message : String(error));
      }
    },
  };
}

/** Typed call for Node-side callers (tests, the serve transport's own checks). */
export async function callTyped<C extends ChannelName>(
  dispatcher: Dispatcher,
  channel: C,
  request: RequestOf<C>,
): Promise<ApiResult<ResponseOf<C>>> {
  return (await dispatcher.call(channel, request)) as ApiResult<ResponseOf<C>>;
}

function failure(code: ApiErrorCode, message: string): ApiResult {
  return { ok: false, error: { code, message } };
}

function issues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.length === 0 ? '(payload)' : i.path.join('.')}: ${i.message}`)
    .join('; ');
}

function describeName(name: unknown): string {
  if (typeof name !== 'string') return `(a ${typeof name}, not a name)`;
  return JSON.stringify(name.slice(0, 64));
}
