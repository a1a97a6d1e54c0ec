/**
 * `POST /api/<channel>`: the JSON body goes to the backend exactly as the Electron preload's
 * message would, and the `ApiResult` envelope comes back with status 200 whatever it says — the
 * envelope, not the status, carries the outcome, as on the IPC transport. Only a body that is
 * not JSON, or too large, is answered here (400 / 413, still with an envelope).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ApiResult } from '../../shared/app-api.ts';
import type { AppBackend } from '../app-backend.ts';
import { sendJson } from './headers.ts';

/** files.upload carries up to 64 MiB as base64 (≈ 85.4 MiB) plus the JSON around it. */
export const MAX_BODY_BYTES = 96 * 2 ** 20;

export async function handleApiCall(
  backend: AppBackend,
  channel: string,
  request: IncomingMessage,
  response: ServerResponse,
): Promise<void> {
  const body = await readBody(request, MAX_BODY_BYTES);
  if (body === 'too-large') {
    response.setHeader('Connection', 'close');
    return sendJson(
      response,
      413,
      badRequest(`the request body is over ${MAX_BODY_BYTES / 2 ** 20} MiB`),
    );
  }
  let payload: unknown;
  try {
    payload = JSON.parse(body.toString('utf8'));
  } catch (error) {
    return sendJson(
      response,
      400,
      badRequest(`${channel}: the body is not JSON (${(error as Error).message})`),
    );
  }
  let result: ApiResult;
  try {
    result = await backend.call(channel, payload);
  } catch (error) {
    // The backend promises never to throw; if it does, the caller still gets an envelope.
    result = {
      ok: false,
      error: { code: 'failed', message: error instanceof Error ? error.message : String(error) },
    };
  }
  sendJson(response, 200, result);
}

function badRequest(message: string): ApiResult {
  return { ok: false, error: { code: 'bad-request', message } };
}

function readBody(request: IncomingMessage, limit: number): Promise<Buffer | 'too-large'> {
  const declared = Number(request.headers['content-length']);
  if (Number.isFinite(declared) && declared > limit) {
    request.resume();
    return Promise.resolve('too-large');
  }
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let over = false;
    request.on('data', (chunk: Buffer) => {
      if (over) return;
      size += chunk.length;
      if (size > limit) {
        over = true;
        chunks.length = 0;
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () => resolve(over ? 'too-large' : Buffer.concat(chunks)));
    request.on('error', reject);
  });
}
