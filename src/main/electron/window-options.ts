/**
 * The one window's options and the content policy, as plain data (DESIGN.md §9). No electron
 * import, so tests load this module and check every setting; the glue in ./desktop-app.ts
 * passes it to `new BrowserWindow` (where the type checker checks it against Electron's own).
 */

/** What the renderer may load: only its own bundle. No remote origin anywhere; `connect-src
 * 'self'` is the renderer's own files (and the dev server's hot reload in development). */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  // Svelte's transitions and echarts set inline styles.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "worker-src 'self' blob:",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-src 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const SECURE_WEB_PREFERENCES = {
  contextIsolation: true,
  sandbox: true,
  nodeIntegration: false,
  nodeIntegrationInWorker: false,
  nodeIntegrationInSubFrames: false,
  webSecurity: true,
  allowRunningInsecureContent: false,
  webviewTag: false,
  spellcheck: false,
  navigateOnDragDrop: false,
  experimentalFeatures: false,
} as const;

export const WINDOW_SIZE = { width: 1280, height: 800, minWidth: 1024, minHeight: 700 } as const;

export interface WindowOptions {
  readonly title: string;
  readonly width: number;
  readonly height: number;
  readonly minWidth: number;
  readonly minHeight: number;
  /** Shown once the first paint is ready, so the window never flashes blank. */
  readonly show: boolean;
  readonly backgroundColor: string;
  readonly webPreferences: typeof SECURE_WEB_PREFERENCES & { readonly preload: string };
}

/** `preload`: the absolute path of the built preload bundle (out/preload/index.cjs). */
export function windowOptions(preload: string): WindowOptions {
  return {
    title: 'Nepenthe',
    ...WINDOW_SIZE,
    show: false,
    backgroundColor: '#ffffff',
    webPreferences: { ...SECURE_WEB_PREFERENCES, preload },
  };
}
