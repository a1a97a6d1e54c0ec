/**
 * The desktop bundles build (electron-vite: main, worker, preload, renderer), and the window the
 * main process opens is locked down as DESIGN.md §9 requires. Electron's binary is not needed:
 * building is plain vite.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'node_modules/electron-vite/bin/electron-vite.js');

describe('electron-vite build', () => {
  it('emits main, worker, preload and renderer, with a sandboxed, isolated window', () => {
    const result = spawnSync(process.execPath, [cli, 'build'], {
      cwd: root,
      encoding: 'utf8',
      timeout: 180_000,
    });
    expect(result.status, result.stderr).toBe(0);
    for (const file of [
      'out/main/index.js',
      'out/main/worker.js',
      'out/preload/index.mjs',
      'out/renderer/index.html',
    ]) {
      expect(existsSync(join(root, file)), file).toBe(true);
    }
    const main = readFileSync(join(root, 'out/main/index.js'), 'utf8');
    expect(main).toMatch(/contextIsolation:\s*true/);
    expect(main).toMatch(/sandbox:\s*true/);
    expect(main).toMatch(/nodeIntegration:\s*false/);
    expect(main).toContain("connect-src 'none'");
  });
});
