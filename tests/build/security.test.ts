/**
 * The desktop app's locks (DESIGN.md §9), checked where they are decided — the window options,
 * the packaging config — and again in what electron-vite built, so a refactor that drops one
 * from the glue fails here. Electron itself cannot run on this machine; the glue is a thin
 * hand-over of these values, and the built bundle shows it hands them over.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { createRequire } from 'node:module';
import { beforeAll, describe, expect, it } from 'vitest';
import { CONTENT_SECURITY_POLICY, windowOptions } from '../../src/main/electron/window-options.ts';
import { appOrigin } from '../../src/main/electron/app-origin.ts';
import { buildOnce, readBuilt, root } from './built-app.ts';

// js-yaml comes with eslint; the test only reads, so a dev-only transitive package is enough.
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };

describe('window options', () => {
  const options = windowOptions('/app/out/preload/index.cjs');

  it('isolate, sandbox and strip the renderer', () => {
    expect(options.webPreferences).toMatchObject({
      preload: '/app/out/preload/index.cjs',
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
    });
  });

  it('open at 1280×800, never smaller than 1024×700', () => {
    expect(options).toMatchObject({ width: 1280, height: 800, minWidth: 1024, minHeight: 700 });
  });

  it('come with a CSP that allows only the app itself', () => {
    const directives = new Map(
      CONTENT_SECURITY_POLICY.split(';').map((part) => {
        const [name, ...sources] = part.trim().split(/\s+/);
        return [name, sources] as const;
      }),
    );
    expect(directives.get('default-src')).toEqual(["'self'"]);
    expect(directives.get('connect-src')).toEqual(["'self'"]);
    expect(directives.get('script-src')).toEqual(["'self'"]);
    expect(directives.get('object-src')).toEqual(["'none'"]);
    // No remote origin anywhere: every source is a keyword or a local scheme.
    for (const [name, sources] of directives)
      for (const source of sources)
        expect(source, `${name} ${source}`).toMatch(
          /^('self'|'none'|'unsafe-inline'|data:|blob:)$/,
        );
  });
});

describe('app origin', () => {
  const rendererDir = join(root, 'out/renderer');
  const own = appOrigin(rendererDir);
  const rendererUrl = `file://${rendererDir}/index.html`;

  it('accepts the built renderer and refuses everything else', () => {
    expect(own.isOwnPage(rendererUrl)).toBe(true);
    expect(own.isOwnPage(`file://${rendererDir}/../../etc/passwd`)).toBe(false);
    expect(own.isOwnPage(`file://${rendererDir}-evil/index.html`)).toBe(false);
    expect(own.isOwnPage('https://example.com/')).toBe(false);
    expect(own.isOwnPage('http://localhost:5173/')).toBe(false);
    expect(own.isOwnPage(undefined)).toBe(false);
    expect(own.isOwnPage('')).toBe(false);
  });

  it('accepts the dev server only when one is given', () => {
    const dev = appOrigin(rendererDir, 'http://localhost:5173');
    expect(dev.isOwnPage('http://localhost:5173/src/main.ts')).toBe(true);
    expect(dev.isOwnPage('http://localhost:5174/')).toBe(false);
    expect(dev.isOwnPage('http://evil.localhost:5173/')).toBe(false);
  });

  it('lets no request leave the machine', () => {
    expect(own.isAllowedRequest(rendererUrl)).toBe(true);
    expect(own.isAllowedRequest('data:image/png;base64,AAAA')).toBe(true);
    for (const url of [
      'https://example.com/x.js',
      'http://127.0.0.1:8080/',
      'ws://localhost:5173/',
      'file:///etc/passwd',
    ])
      expect(own.isAllowedRequest(url), url).toBe(false);
  });
});

describe('electron-builder.yml', () => {
  const config = yaml.load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as Record<
    string,
    unknown
  > & {
    electronFuses: Record<string, boolean>;
    linux: { target: string[] };
    win: { target: string[] };
    mac: { target: string[] };
    asarUnpack: string[];
    files: string[];
    extraResources: { from: string; to: string; filter?: string[] }[];
  };

  it('packs into asar, publishes nothing, and targets every desktop', () => {
    expect(config.productName).toBe('Nepenthe');
    expect(config.appId).toMatch(/^[a-z]+(\.[a-z0-9-]+)+$/);
    expect(config.asar).toBe(true);
    expect(config.publish).toBeNull();
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.win.target).toEqual(['nsis']);
    expect(config.mac.target).toEqual(['dmg']);
    expect(config.files).toEqual(expect.arrayContaining(['out/**', 'package.json']));
  });

  it('sets the fuses', () => {
    expect(config.electronFuses).toEqual({
      runAsNode: false,
      enableCookieEncryption: true,
      enableNodeOptionsEnvironmentVariable: false,
      enableNodeCliInspectArguments: false,
      enableEmbeddedAsarIntegrityValidation: true,
      onlyLoadAppFromAsar: true,
      grantFileProtocolExtraPrivileges: false,
    });
  });

  it('leaves the worker and its packages outside the archive and bundles the runtime', () => {
    expect(config.asarUnpack).toEqual(
      expect.arrayContaining(['out/worker/**', 'package.json', '**/node_modules/webgpu/**']),
    );
    expect(config.extraResources).toEqual(
      expect.arrayContaining([
        { from: 'resources/testbed', to: 'testbed' },
        { from: 'resources/fonts', to: 'fonts' },
        { from: 'resources/demo', to: 'demo' },
        { from: 'build/node/${os}-${arch}/', to: 'node/' },
        { from: 'build/native/', to: 'native/', filter: ['*.node'] },
      ]),
    );
  });
});

describe('the built bundles', () => {
  beforeAll(async () => {
    const result = await buildOnce();
    expect(result.status, result.output).toBe(0);
  }, 200_000);

  it('main passes the window options and loads the CommonJS preload', () => {
    const main = readBuilt('out/main/index.js');
    for (const setting of [
      /contextIsolation:\s*true/,
      /sandbox:\s*true/,
      /nodeIntegration:\s*false/,
      /webSecurity:\s*true/,
      /allowRunningInsecureContent:\s*false/,
      /webviewTag:\s*false/,
      /spellcheck:\s*false/,
      /navigateOnDragDrop:\s*false/,
    ])
      expect(main).toMatch(setting);
    expect(main).toMatch(/new BrowserWindow\(options\)/);
    expect(main).toContain('../preload/index.cjs');
  });

  it('main denies permissions, navigation, new windows and webviews, and sets the CSP', () => {
    const main = readBuilt('out/main/index.js');
    expect(main).toMatch(/setPermissionRequestHandler\([^)]*\)\s*=>\s*callback\(false\)\)/);
    expect(main).toMatch(/setPermissionCheckHandler\(\(\)\s*=>\s*false\)/);
    for (const event of ['will-navigate', 'will-redirect', 'will-attach-webview'])
      expect(main).toMatch(
        new RegExp(`on\\("${event}",\\s*\\(event\\)\\s*=>\\s*event\\.preventDefault\\(\\)\\)`),
      );
    expect(main).toMatch(/setWindowOpenHandler\(\(\)\s*=>\s*\(\{\s*action:\s*"deny"\s*\}\)\)/);
    expect(main).toMatch(/on\("web-contents-created",\s*\(_event, contents\)\s*=>\s*guardContents/);
    expect(main).toContain('"Content-Security-Policy": [CONTENT_SECURITY_POLICY]');
    for (const directive of CONTENT_SECURITY_POLICY.split('; '))
      expect(main).toContain(JSON.stringify(directive));
    expect(main).toMatch(/onBeforeRequest\([^]*cancel:\s*!origin\.isAllowedRequest/);
  });

  it('the preload is one CommonJS file whose only require is electron', () => {
    const preload = readBuilt('out/preload/index.cjs');
    const required = [...preload.matchAll(/require\(\s*["']([^"']+)["']\s*\)/g)].map((m) => m[1]);
    expect(required).toEqual(['electron']);
    expect(preload).not.toMatch(/^\s*(import|export)\s/m);
    expect(preload).not.toMatch(/\bimport\(/);
  });
});
