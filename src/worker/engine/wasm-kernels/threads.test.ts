/**
 * The threaded SIMD wasm binary under Node: it starts with the requested pool, computes what the
 * cpu backend computes, and does not keep the process alive.
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { describe, expect, it } from 'vitest';
import { registerFastBatchMatMul } from './batch-mat-mul.ts';
import { setWasmBackendThreaded } from './threads.ts';

const root = fileURLToPath(new URL('../../../..', import.meta.url));

describe('setWasmBackendThreaded', () => {
  it('runs XNNPACK on 2 threads, with the same products as the cpu backend', async () => {
    registerFastBatchMatMul();
    expect(await setWasmBackendThreaded(2)).toBe(2);
    expect(tf.getBackend()).toBe('wasm');
    const a = Float32Array.from({ length: 96 * 64 }, (_, i) => Math.sin(i));
    const b = Float32Array.from({ length: 96 * 48 }, (_, i) => Math.cos(i));
    const product = (): Float32Array =>
      tf.tidy(
        () =>
          tf
            .matMul(tf.tensor(a, [96, 64]), tf.tensor(b, [96, 48]), true, false)
            .dataSync() as Float32Array,
      );
    const got = product();
    await tf.setBackend('cpu');
    const ref = product();
    await tf.setBackend('wasm');
    let diff = 0;
    let scale = 0;
    ref.forEach((r, i) => {
      diff = Math.max(diff, Math.abs(r - got[i]!));
      scale = Math.max(scale, Math.abs(r));
    });
    expect(diff / scale).toBeLessThanOrEqual(1e-5);
  });

  it('lets the process exit on its own', () => {
    const script = [
      "import * as tf from '@tensorflow/tfjs';",
      "import '@tensorflow/tfjs-backend-wasm';",
      "import { setWasmBackendThreaded } from './src/worker/engine/wasm-kernels/threads.ts';",
      'const n = await setWasmBackendThreaded(2);',
      'tf.matMul(tf.ones([64, 64]), tf.ones([64, 64])).dataSync();',
      'console.log(`threads ${n}`);',
    ].join('\n');
    const child = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
      },
    );
    expect(child.error).toBeUndefined();
    expect(child.status).toBe(0);
    expect(child.stdout).toContain('threads 2');
  });
});
