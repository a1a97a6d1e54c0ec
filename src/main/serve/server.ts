/**
 * `nepenthe serve`'s HTTP server: the renderer build and the app's typed API over HTTP, for a
 * browser on this machine (DESIGN.md §5). It is a transport only — every call goes to the same
 * `AppBackend` the Electron main process wires to IPC. Each request passes, in order: the Host
 * check (two Host headers: 400; a foreign one: 403), the Origin check on POSTs (403), the token (none: 401, wrong: 403); then routes:
 *
 *   GET  /, /assets/…          the renderer build (static-files.ts)
 *   POST /api/<channel>        backend.call(channel, JSON body) → ApiResult (api.ts)
 *   GET  /api/events           AppEvents as server-sent events (events.ts)
 *   GET  /files/report/<runId> the run's report.pdf as a download (report-download.ts)
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { AppBackend } from '../app-backend.ts';
import { handleApiCall } from './api.ts';
import {
  allowedHosts,
  hostAllowed,
  hostForUrl,
  hostHeaderCount,
  newToken,
  originAllowed,
  presentedToken,
  tokenCookie,
  tokensEqual,
} from './auth.ts';
import { handleEvents, HEARTBEAT_MS, type EventStreams } from './events.ts';
import { sendText, setSecurityHeaders } from './headers.ts';
import { handleReportDownload } from './report-download.ts';
import { sendStatic } from './static-files.ts';

export interface ServeServerOptions {
  readonly backend: AppBackend;
  /** The renderer build: index.html and assets/. */
  readonly rendererDir: string;
  /** Default: 32 fresh random bytes, base64url. */
  readonly token?: string;
  /** Default 127.0.0.1. Anything else reaches the network: the CLI asks for an explicit --host. */
  readonly host?: string;
  /** Default 0: a free port chosen by the OS. */
  readonly port?: number;
  /** Default 15 s (tests shorten it). */
  readonly heartbeatMs?: number;
  /** A request handler that failed (answered 500). */
  readonly onError?: (error: unknown) => void;
}

export interface ServeServer {
  /** `http://<host>:<port>/?token=<token>`: what the user opens. */
  readonly url: string;
  readonly host: string;
  readonly port: number;
  readonly token: string;
  /** Ends the event streams and open connections, stops listening. */
  close(): Promise<void>;
}

export async function createServeServer(options: ServeServerOptions): Promise<ServeServer> {
  const { backend, rendererDir } = options;
  const token = options.token ?? newToken();
  const host = options.host ?? '127.0.0.1';
  const heartbeatMs = options.heartbeatMs ?? HEARTBEAT_MS;
  const streams: EventStreams = new Set();
  let allowed: ReadonlySet<string> = new Set();

  const route = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    setSecurityHeaders(response);
    const method = request.method ?? 'GET';
    const [rawPath = '/', rawQuery = ''] = splitTarget(request.url ?? '/');
    // Node keeps the first of several Host headers and drops the rest; a proxy in front may use
    // another one, so a request that names two hosts is refused rather than guessed at.
    if (hostHeaderCount(request) > 1) return sendText(response, 400, 'more than one Host header');
    if (!hostAllowed(request, allowed)) return sendText(response, 403, 'unknown Host header');
    if (method === 'POST' && !originAllowed(request, allowed))
      return sendText(response, 403, 'cross-origin request refused');

    const query = new URLSearchParams(rawQuery);
    const presented = presentedToken(request, query);
    if (presented.via === 'none') {
      response.setHeader('WWW-Authenticate', 'Bearer');
      return sendText(
        response,
        401,
        'open the URL that `nepenthe serve` printed (it holds the token)',
      );
    }
    if (!tokensEqual(presented.token, token)) return sendText(response, 403, 'wrong token');
    if (presented.via === 'query') {
      response.setHeader('Set-Cookie', tokenCookie(token));
      if (method === 'GET' || method === 'HEAD') {
        // Keep the token out of the address bar and history: the cookie carries it from now on.
        query.delete('token');
        const rest = query.toString();
        response.statusCode = 303;
        response.setHeader('Location', `${sameOriginPath(rawPath)}${rest ? `?${rest}` : ''}`);
        response.setHeader('Cache-Control', 'no-store');
        return void response.end();
      }
    }

    if (rawPath.startsWith('/api/')) {
      response.setHeader('Cache-Control', 'no-store');
      if (rawPath === '/api/events' && method === 'GET')
        return handleEvents(backend, request, response, streams, heartbeatMs);
      if (method === 'POST') return handleApiCall(backend, rawPath.slice(5), request, response);
      return methodNotAllowed(response, rawPath === '/api/events' ? 'GET' : 'POST');
    }
    if (rawPath.startsWith('/files/report/')) {
      if (method !== 'GET') return methodNotAllowed(response, 'GET');
      return handleReportDownload(backend, rawPath.slice('/files/report/'.length), response);
    }
    if (method !== 'GET' && method !== 'HEAD') return methodNotAllowed(response, 'GET, HEAD');
    sendStatic(response, rendererDir, rawPath, method === 'HEAD');
  };

  const server = createServer((request, response) => {
    route(request, response).catch((error: unknown) => {
      options.onError?.(error);
      if (!response.headersSent) sendText(response, 500, 'internal error');
      else response.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  allowed = allowedHosts(host, port);

  return {
    url: `http://${hostForUrl(host)}:${port}/?token=${token}`,
    host,
    port,
    token,
    close: () =>
      new Promise<void>((resolve) => {
        for (const stream of streams) stream.end();
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

function splitTarget(target: string): [string, string] {
  const q = target.indexOf('?');
  return q < 0 ? [target, ''] : [target.slice(0, q), target.slice(q + 1)];
}

/** `//evil.example/` in a Location header would leave this origin; one leading slash stays. */
function sameOriginPath(rawPath: string): string {
  return `/${rawPath.replace(/^\/+/, '')}`;
}

function methodNotAllowed(response: ServerResponse, allow: string): void {
  response.setHeader('Allow', allow);
  sendText(response, 405, 'method not allowed');
}
