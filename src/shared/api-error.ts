/**
 * What the renderer's API client throws for an `ok: false` result. In a module of its own, free
 * of zod, so the renderer can import the class without pulling every schema (and zod, ~260 kB)
 * into its bundle; app-api.ts re-exports it.
 */
import type { ApiErrorCode } from './app-api.ts';

export class ApiError extends Error {
  override readonly name = 'ApiError';
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
  }
}
