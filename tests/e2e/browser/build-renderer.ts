/**
 * Builds the app's bundles (electron-vite: main, worker, preload, renderer) into a folder of
 * this test's own, so the browser test serves exactly what the desktop app would load and does
 * not race tests/build/electron-build.test.ts over out/.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../..', import.meta.url));
const CLI = join(ROOT, 'node_modules/electron-vite/bin/electron-vite.js');

/** Returns the renderer folder (index.html, assets/) and the build's wall time. */
export async function buildApp(outDir: string): Promise<{ rendererDir: string; seconds: number }> {
  const started = performance.now();
  const { code, output } = await new Promise<{ code: number | null; output: string }>(
    (resolve, reject) => {
      const child = spawn(process.execPath, [CLI, 'build', '--outDir', outDir], {
        cwd: ROOT,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
      child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
      child.on('error', reject);
      child.on('close', (exit) => resolve({ code: exit, output }));
    },
  );
  if (code !== 0) throw new Error(`electron-vite build failed (${code}):\n${output}`);
  return { rendererDir: join(outDir, 'renderer'), seconds: (performance.now() - started) / 1000 };
}
