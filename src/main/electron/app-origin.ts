/**
 * Which URLs are the app's own: the built renderer's files (file://…/out/renderer/…) or, in
 * development only, the electron-vite dev server. Everything else is foreign: IPC from it is
 * refused and requests to it are cancelled (the app is offline, DESIGN.md §9).
 */
import { pathToFileURL } from 'node:url';

export interface AppOrigin {
  /** A page or frame URL that may call the API. */
  isOwnPage(url: string | undefined | null): boolean;
  /** A request the renderer may make: its own files, the dev server, devtools, inline data. */
  isAllowedRequest(url: string): boolean;
}

export function appOrigin(rendererDir: string, devServerUrl?: string): AppOrigin {
  const filePrefix = withSlash(pathToFileURL(rendererDir).href);
  const devOrigin = devServerUrl === undefined ? undefined : originOf(devServerUrl);
  const isOwnPage = (url: string | undefined | null): boolean => {
    if (typeof url !== 'string' || url === '') return false;
    // Parsing resolves `..` segments, so file:///…/renderer/../../etc is not the renderer's.
    const href = normalized(url);
    if (href === undefined) return false;
    if (href.startsWith('file:')) return href.startsWith(filePrefix);
    return devOrigin !== undefined && originOf(href) === devOrigin;
  };
  return {
    isOwnPage,
    isAllowedRequest: (url) =>
      isOwnPage(url) ||
      url.startsWith('devtools://') ||
      url.startsWith('data:') ||
      url.startsWith('blob:'),
  };
}

function withSlash(href: string): string {
  return href.endsWith('/') ? href : `${href}/`;
}

function normalized(url: string): string | undefined {
  try {
    return new URL(url).href;
  } catch {
    return undefined;
  }
}

function originOf(url: string): string | undefined {
  try {
    const parsed = new URL(url);
    return parsed.protocol === 'http:' || parsed.protocol === 'https:' || parsed.protocol === 'ws:'
      ? `${parsed.hostname}:${parsed.port}`
      : undefined;
  } catch {
    return undefined;
  }
}
