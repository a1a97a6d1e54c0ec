/**
 * `GET /api/events`: the backend's AppEvents as server-sent events, one `data:` line of JSON
 * each. A comment line every 15 s keeps proxies and idle timers from closing a quiet stream
 * (a long training step can go minutes without an event). Closing the page unsubscribes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { AppBackend } from '../app-backend.ts';

export const HEARTBEAT_MS = 15_000;

/** The open streams, so that closing the server can end them. */
export type EventStreams = Set<ServerResponse>;

export function handleEvents(
  backend: AppBackend,
  request: IncomingMessage,
  response: ServerResponse,
  streams: EventStreams,
  heartbeatMs: number,
): void {
  response.statusCode = 200;
  response.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
  response.setHeader('Cache-Control', 'no-store');
  response.setHeader('Connection', 'keep-alive');
  response.flushHeaders();
  response.write(': connected\n\n');
  // JSON.stringify escapes newlines, so one event is always one `data:` line.
  const unsubscribe = backend.subscribe((event) => {
    response.write(`data: ${JSON.stringify(event)}\n\n`);
  });
  const heartbeat = setInterval(() => response.write(': heartbeat\n\n'), heartbeatMs);
  streams.add(response);
  const stop = () => {
    clearInterval(heartbeat);
    unsubscribe();
    streams.delete(response);
  };
  request.on('close', stop);
  response.on('close', stop);
}
