/**
 * The webgpu backend's device on SwiftShader (src/worker/engine/webgpu-device.ts,
 * webgpu-watch.ts): requested with the adapter's buffer limits, so a tensor over WebGPU's 128 MiB
 * default binding works; a buffer over the limit, or a device destroyed mid-work, ends the read
 * with a message and advice, never zeros or a hang. Its own file (its own process): the last test
 * destroys the device.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import {
  REQUESTED_LIMITS,
  type WatchedWebGpuBackend,
} from '../../src/worker/engine/webgpu-device.ts';
import { haveSwiftShader } from './swiftshader.ts';

/** WebGPU's default maxStorageBufferBindingSize (spec §3.6.2, "Limits"). */
const DEFAULT_BINDING = 128 * 2 ** 20;
/** Qwen2.5's vocabulary; 151,936 × 256 float32 is 155.6 MB. */
const [V, H] = [151_936, 256];

/** Rejects if `promise` has not settled within `ms` (a hang fails the test instead of stalling). */
function within<T>(ms: number, promise: Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`still pending after ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

describe.skipIf(!haveSwiftShader)('the webgpu device on SwiftShader', () => {
  let device: GPUDevice;

  beforeAll(async () => {
    await selectBackend('webgpu', { swiftshader: true });
    device = (tf.backend() as WatchedWebGpuBackend).device;
  });

  it("is requested with the adapter's maximum buffer and binding sizes", async () => {
    const gpu = (navigator as Navigator & { gpu: GPU }).gpu;
    const adapter = (await gpu.requestAdapter({ powerPreference: 'high-performance' }))!;
    for (const name of REQUESTED_LIMITS)
      expect(device.limits[name], name).toBe(adapter.limits[name]);
    expect(device.limits.maxStorageBufferBindingSize).toBeGreaterThan(DEFAULT_BINDING);
  });

  it('gathers from and multiplies by a 151,936 × 256 float32 table (155.6 MB)', async () => {
    expect(V * H * 4).toBeGreaterThan(DEFAULT_BINDING);
    // table[i][j] = (i mod 97)·(j + 1): small integers, so every product and sum below is exact.
    const table = tf.tidy(() =>
      tf.mul(
        tf
          .mod(tf.range(0, V, 1, 'int32'), 97)
          .toFloat()
          .reshape([V, 1]),
        tf.range(1, H + 1).reshape([1, H]),
      ),
    ); // (V, H)
    const rows = [0, 96, 97, 123_456, V - 1];
    const gathered = tf.gather(table, tf.tensor1d(rows, 'int32')); // (5, H)
    const logits = tf.matMul(tf.ones([2, H]), table, false, true); // (2, V)
    const g = await gathered.data();
    const l = await logits.data();
    for (const [k, i] of rows.entries()) {
      expect(g[k * H + H - 1], `row ${i}`).toBe((i % 97) * H);
      expect(l[V + i], `logit ${i}`).toBe(((i % 97) * H * (H + 1)) / 2);
    }
    tf.dispose([table, gathered, logits]);
  });

  it('a buffer over maxBufferSize rejects the read with the limit and advice, not zeros', async () => {
    const over = Math.floor(device.limits.maxBufferSize / 4) + 1024;
    const big = tf.fill([over], 1);
    const head = big.add(1).slice([0], [4]);
    await expect(within(30_000, head.data())).rejects.toThrow(
      /^WebGPU validation error: Buffer size \(\d+\) exceeds the max buffer size limit.*--backend native/,
    );
    tf.dispose([big, head]);
    // A validation error leaves the device usable: the next read is right.
    const small = tf.fill([4], 2).add(1);
    expect(Array.from(await small.data())).toEqual([3, 3, 3, 3]);
    small.dispose();
  });

  it('a device destroyed mid-work rejects the pending and later reads within seconds', async () => {
    const a = tf.randomUniform([256, 256], -0.1, 0.1, 'float32', 1);
    let product = a;
    for (let i = 0; i < 4; i++) product = tf.matMul(product, a);
    const pending = product.data();
    setTimeout(() => device.destroy(), 20);
    await expect(within(10_000, pending)).rejects.toThrow(
      /^the WebGPU device was lost \(destroyed: .*--backend native/,
    );
    await expect(within(10_000, tf.add(a, 1).data())).rejects.toThrow(/device was lost/);
  });
});
