/**
 * The desktop bundles build (electron-vite: main, worker, preload, renderer). Electron's binary
 * is not needed: building is plain vite. What the built bundles must contain is checked in
 * security.test.ts and preload.test.ts, on this same build (built-app.ts builds once a run).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { buildOnce, root } from './built-app.ts';

describe('electron-vite build', () => {
  beforeAll(async () => {
    const result = await buildOnce();
    expect(result.status, result.output).toBe(0);
  }, 200_000);

  it('emits main, worker, preload and renderer', () => {
    for (const file of [
      'out/main/index.js',
      'out/worker/worker.js',
      'out/preload/index.cjs',
      'out/renderer/index.html',
    ]) {
      expect(existsSync(join(root, file)), file).toBe(true);
    }
  });
});
