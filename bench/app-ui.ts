/**
 * The renderer's weight and first paint (bench/RESULTS.md "App UI").
 *
 *   node --import tsx bench/app-ui.ts [--loads 5] [--out bench/results/app-ui.json]
 *
 * Builds the app (electron-vite, production), measures the renderer bundle (every file under
 * out/renderer, raw and gzip -9), starts the real `nepenthe serve` with a throw-away HOME, and
 * loads the UI `--loads` times in fresh Debian chromium contexts at 1280×800 (playwright-core),
 * reading the browser's own paint timings (first-paint, first-contentful-paint) and
 * DOMContentLoaded from the Performance API. The first load fetches the token cookie; every
 * load after it is cold too (a new context has an empty cache), so the median is a cold start.
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import { gzipSync } from 'node:zlib';
import { chromium } from 'playwright-core';
import { buildApp } from '../tests/e2e/browser/build-renderer.ts';
import { startServe } from '../tests/helpers/serve-process.ts';

const { values } = parseArgs({
  options: { loads: { type: 'string', default: '5' }, out: { type: 'string' } },
});
const loads = Number(values.loads);

function filesUnder(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path) : [path];
  });
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

const home = mkdtempSync(join(tmpdir(), 'nepenthe-bench-ui-'));
try {
  const { rendererDir, seconds: buildSeconds } = await buildApp(join(home, 'build'));
  const files = filesUnder(rendererDir).map((path) => {
    const bytes = readFileSync(path);
    return {
      file: relative(rendererDir, path),
      bytes: bytes.length,
      gzip: gzipSync(bytes, { level: 9 }).length,
    };
  });
  const total = files.reduce((a, f) => ({ bytes: a.bytes + f.bytes, gzip: a.gzip + f.gzip }), {
    bytes: 0,
    gzip: 0,
  });

  const serve = await startServe(home, rendererDir);
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--no-sandbox'],
  });
  const samples: { firstPaint: number; firstContentfulPaint: number; domContentLoaded: number }[] =
    [];
  try {
    for (let i = 0; i < loads; i++) {
      const context = await browser.newContext({ viewport: { width: 1280, height: 800 } });
      const page = await context.newPage();
      await page.goto(serve.url, { waitUntil: 'load' });
      await page.getByRole('button', { name: 'Model', exact: true }).waitFor();
      const timing = await page.evaluate(() => {
        const paint = Object.fromEntries(
          performance.getEntriesByType('paint').map((e) => [e.name, e.startTime]),
        );
        const nav = performance.getEntriesByType('navigation')[0] as PerformanceNavigationTiming;
        return {
          firstPaint: paint['first-paint'] ?? NaN,
          firstContentfulPaint: paint['first-contentful-paint'] ?? NaN,
          domContentLoaded: nav.domContentLoadedEventEnd,
        };
      });
      samples.push(timing);
      await context.close();
    }
  } finally {
    await browser.close();
    await serve.stop();
  }
  const result = {
    date: new Date().toISOString(),
    machine: `${cpus().length}× ${cpus()[0]?.model ?? 'cpu'}, load ${loadavg()[0]!.toFixed(1)}`,
    browser: `chromium ${browser.version()} headless, 1280×800`,
    buildSeconds: Math.round(buildSeconds * 10) / 10,
    bundle: { files, totalBytes: total.bytes, totalGzipBytes: total.gzip },
    loads: samples,
    medianMs: {
      firstPaint: median(samples.map((s) => s.firstPaint)),
      firstContentfulPaint: median(samples.map((s) => s.firstContentfulPaint)),
      domContentLoaded: median(samples.map((s) => s.domContentLoaded)),
    },
  };
  for (const f of files)
    console.log(
      `${f.file.padEnd(40)} ${String(f.bytes).padStart(9)} B  gzip ${String(f.gzip).padStart(8)} B`,
    );
  console.log(
    `${'total'.padEnd(40)} ${String(total.bytes).padStart(9)} B  gzip ${String(total.gzip).padStart(8)} B`,
  );
  console.log(
    `first paint ${result.medianMs.firstPaint.toFixed(0)} ms, first contentful paint ` +
      `${result.medianMs.firstContentfulPaint.toFixed(0)} ms, DOMContentLoaded ` +
      `${result.medianMs.domContentLoaded.toFixed(0)} ms (median of ${loads} cold loads)`,
  );
  if (values.out) writeFileSync(values.out, `${JSON.stringify(result, null, 2)}\n`);
} finally {
  rmSync(home, { recursive: true, force: true });
}
