/**
 * The renderer build (`out/renderer`: index.html and assets/) as static files. A request path
 * is decoded once, and refused if any segment is `..`, or it holds a backslash or NUL — whether
 * they arrive raw or percent-encoded — and the file's real path (symlinks resolved) must still
 * lie inside the build folder.
 */
import { createReadStream, realpathSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { extname, join, sep } from 'node:path';
import { sendText } from './headers.ts';

const CONTENT_TYPES: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.jpg': 'image/jpeg',
  '.jpeg': 'image/jpeg',
  '.gif': 'image/gif',
  '.webp': 'image/webp',
  '.ico': 'image/x-icon',
  '.woff': 'font/woff',
  '.woff2': 'font/woff2',
  '.ttf': 'font/ttf',
  '.otf': 'font/otf',
  '.wasm': 'application/wasm',
  '.txt': 'text/plain; charset=utf-8',
};

export function contentType(path: string): string {
  return CONTENT_TYPES[extname(path).toLowerCase()] ?? 'application/octet-stream';
}

export type StaticLookup =
  | { readonly kind: 'file'; readonly path: string; readonly bytes: number }
  | { readonly kind: 'refused' }
  | { readonly kind: 'missing' };

/** `rawPath` is the request URL's path, still percent-encoded. `/` is index.html. */
export function lookupStatic(rendererDir: string, rawPath: string): StaticLookup {
  let decoded: string;
  try {
    decoded = decodeURIComponent(rawPath);
  } catch {
    return { kind: 'refused' };
  }
  if (decoded.includes('\\') || decoded.includes('\0')) return { kind: 'refused' };
  const segments = decoded.split('/').filter((s) => s !== '' && s !== '.');
  if (segments.some((s) => s === '..')) return { kind: 'refused' };
  if (segments.length === 0) segments.push('index.html');
  let root: string;
  let real: string;
  try {
    root = realpathSync(rendererDir);
    real = realpathSync(join(root, ...segments));
  } catch {
    return { kind: 'missing' };
  }
  if (!real.startsWith(root + sep)) return { kind: 'refused' };
  const stat = statSync(real, { throwIfNoEntry: false });
  if (!stat?.isFile()) return { kind: 'missing' };
  return { kind: 'file', path: real, bytes: stat.size };
}

export function sendStatic(
  response: ServerResponse,
  rendererDir: string,
  rawPath: string,
  headOnly: boolean,
): void {
  const found = lookupStatic(rendererDir, rawPath);
  if (found.kind === 'refused') return sendText(response, 403, 'forbidden path');
  if (found.kind === 'missing') return sendText(response, 404, 'not found');
  response.statusCode = 200;
  response.setHeader('Content-Type', contentType(found.path));
  response.setHeader('Content-Length', found.bytes);
  // index.html is revalidated on every load so a rebuild shows up; Vite's assets are hashed.
  response.setHeader('Cache-Control', 'no-cache');
  if (headOnly) return void response.end();
  streamFile(response, found.path);
}

export function streamFile(response: ServerResponse, path: string): void {
  const stream = createReadStream(path);
  stream.on('error', () => response.destroy());
  stream.pipe(response);
}
