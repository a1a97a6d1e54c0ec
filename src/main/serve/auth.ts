/**
 * Who may talk to `nepenthe serve`: whoever holds the token printed at start-up. The server is
 * on loopback, but any local process and any web page the user opens can reach loopback, so
 * every request proves it has the token (a bearer header, or the cookie set from the start-up
 * URL), names this server in its Host header (against DNS rebinding: a page on evil.example
 * resolved to 127.0.0.1 still sends `Host: evil.example`), and a POST from a browser carries our
 * own Origin (against cross-site requests).
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage } from 'node:http';

export const TOKEN_COOKIE = 'nepenthe_token';

/** 32 random bytes, base64url: 256 bits, safe in a URL and in a cookie without escaping. */
export function newToken(): string {
  return randomBytes(32).toString('base64url');
}

/** Constant-time comparison: hashing first gives equal lengths, so length leaks nothing either. */
export function tokensEqual(given: string, expected: string): boolean {
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/**
 * The token a request presents, and where: `bearer` (Authorization header), `query` (`?token=`
 * of the start-up URL) or `cookie`. The first present wins, in that order, so a stale cookie
 * never overrides a token the caller states explicitly.
 */
export type PresentedToken =
  | { readonly via: 'bearer' | 'query' | 'cookie'; readonly token: string }
  | { readonly via: 'none' };

export function presentedToken(request: IncomingMessage, query: URLSearchParams): PresentedToken {
  const authorization = request.headers.authorization;
  if (authorization !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(authorization);
    // A malformed Authorization header is a wrong credential, not a missing one.
    return { via: 'bearer', token: match?.[1] ?? '' };
  }
  const fromQuery = query.get('token');
  if (fromQuery !== null) return { via: 'query', token: fromQuery };
  const cookie = cookieValue(request.headers.cookie, TOKEN_COOKIE);
  if (cookie !== undefined) return { via: 'cookie', token: cookie };
  return { via: 'none' };
}

function cookieValue(header: string | undefined, name: string): string | undefined {
  if (header === undefined) return undefined;
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return undefined;
}

/** HttpOnly: page scripts never see it; SameSite=Strict: other sites' requests never carry it. */
export function tokenCookie(token: string): string {
  return `${TOKEN_COOKIE}=${token}; HttpOnly; SameSite=Strict; Path=/`;
}

/** The Host header values that name this server: loopback by address or name, or the bound host. */
export function allowedHosts(boundHost: string, port: number): ReadonlySet<string> {
  return new Set([`127.0.0.1:${port}`, `localhost:${port}`, `${hostForUrl(boundHost)}:${port}`]);
}

export function hostAllowed(request: IncomingMessage, allowed: ReadonlySet<string>): boolean {
  const host = request.headers.host;
  return host !== undefined && allowed.has(host.toLowerCase());
}

/** How many Host headers the request carried (`request.headers` shows only the first). */
export function hostHeaderCount(request: IncomingMessage): number {
  let count = 0;
  for (let i = 0; i < request.rawHeaders.length; i += 2)
    if (request.rawHeaders[i]?.toLowerCase() === 'host') count++;
  return count;
}

/** An Origin header, when a browser sends one, must be this server's own. */
export function originAllowed(request: IncomingMessage, allowed: ReadonlySet<string>): boolean {
  const origin = request.headers.origin;
  if (origin === undefined) return true;
  const prefix = 'http://';
  return origin.toLowerCase().startsWith(prefix) && allowed.has(origin.slice(prefix.length));
}

/** IPv6 literals go in brackets in URLs and Host headers. */
export function hostForUrl(host: string): string {
  return host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
}

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '').toLowerCase();
  return bare === 'localhost' || bare === '::1' || /^127(\.\d{1,3}){3}$/.test(bare);
}
