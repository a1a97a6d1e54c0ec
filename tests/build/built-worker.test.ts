/**
 * The desktop app does not run the worker from src/ through tsx: it runs electron-vite's bundle
 * out/worker/worker.js under a plain Node (DESIGN.md §2). This drives that bundle through the real
 * WorkerHost — the engine description and a whole audit on the testbed — so a module the bundle
 * cannot find (a path computed from a source file's location) fails here, not in the field.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RunManifest } from '../../src/shared/audit.ts';
import { VERSION_ENV } from '../../src/shared/environment.ts';
import { newJobId, WorkerHost } from '../../src/main/worker-host/index.ts';
import { buildOnce, root } from './built-app.ts';

const work = mkdtempSync(join(tmpdir(), 'nepenthe-built-worker-'));
let host: WorkerHost | undefined;

afterAll(async () => {
  await host?.dispose();
  rmSync(work, { recursive: true, force: true });
});

describe('the built worker bundle (out/worker/worker.js)', () => {
  it('describes its engine and runs an audit on the testbed', async () => {
    const build = await buildOnce();
    expect(build.status, build.output).toBe(0);
    host = new WorkerHost({
      launch: {
        entry: join(root, 'out/worker/worker.js'),
        execArgv: [],
        env: { ...process.env, [VERSION_ENV]: '9.9.9-bundle-test' },
      },
    });
    const engine = await host.run({
      id: newJobId(),
      kind: 'describe',
      request: { backend: 'wasm', seed: 0 },
    });
    expect(engine.backend).toBe('wasm');

    const testbed = join(root, 'resources/testbed');
    const out = join(work, 'run');
    const result = await host.run({
      id: newJobId(),
      kind: 'audit',
      request: {
        model: join(testbed, 'model'),
        forget: join(testbed, 'corpus/forget01.jsonl'),
        method: 'ga',
        out,
        backend: 'wasm',
        seed: 0,
      },
    });
    expect(result.state).toBe('done');
    expect(result.metricsAfter).not.toBeNull();
    expect(result.training.steps).toBeGreaterThan(0);
    const manifest = RunManifest.parse(
      JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')),
    );
    expect(manifest.state).toBe('done');
    // The version comes from the app (Electron's app.getVersion()), not a package.json the
    // bundle cannot see.
    expect(manifest.versions.nepenthe).toBe('9.9.9-bundle-test');
  }, 240_000);
});
