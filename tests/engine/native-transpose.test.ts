/**
 * Transpose on wasm with the native kernels: permutations that keep the last axis run as block
 * copies (attention's head split and merge) and must equal the cpu backend bit for bit; the
 * others go to the stock kernel and must too.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import type { NativeAddon } from '../../src/worker/engine/native/addon.ts';
import { useNativeKernels } from '../../src/worker/engine/wasm-kernels/index.ts';
import { countNativeCalls } from '../helpers/native-addon.ts';

let addon: NativeAddon;
let calls = new Map<string, number>();
let before = 0;

beforeAll(async () => {
  await selectBackend('wasm');
  const counted = countNativeCalls();
  if (typeof counted === 'string') throw new Error(counted);
  ({ real: addon, calls } = counted);
  useNativeKernels(counted.counting); // block copies tell the native path from the stock kernel
  before = tf.memory().numTensors;
});
afterAll(() => {
  useNativeKernels(addon);
  expect(tf.memory().numTensors).toBe(before);
});

const copies = (): number => calls.get('copyBlocks') ?? 0;

async function onCpu(values: Float32Array | Int32Array, shape: number[], perm: number[]) {
  await tf.setBackend('cpu');
  const x = tf.tensor(values, shape, values instanceof Int32Array ? 'int32' : 'float32');
  const y = tf.transpose(x, perm);
  const out = await y.data();
  tf.dispose([x, y]);
  await tf.setBackend('wasm');
  return out;
}

describe('native Transpose', () => {
  it.each([
    [[4, 128, 8, 32], [0, 2, 1, 3], true],
    [[4, 8, 128, 32], [0, 2, 1, 3], true],
    [[5, 7, 3], [1, 0, 2], true],
    [[2, 3, 4, 5], [2, 0, 1, 3], true],
    [[3, 1, 4, 2], [0, 2, 1, 3], true],
    [[2, 0, 3, 4], [1, 0, 2, 3], false],
    [[6, 9], [1, 0], false],
    [[2, 3, 4], [0, 2, 1], false],
  ] as [number[], number[], boolean][])(
    '%j by %j equals cpu bit for bit (native: %s)',
    async (shape, perm, native) => {
      for (const dtype of ['float32', 'int32'] as const) {
        const x =
          dtype === 'float32'
            ? tf.randomNormal(shape, 0, 1, 'float32', 3)
            : tf.randomUniform(shape, -1000, 1000, 'int32', 4);
        const start = copies();
        const y = tf.transpose(x, perm);
        const got = await y.data();
        expect(copies() > start, 'ran as block copies').toBe(native && x.size > 0);
        const ref = await onCpu((await x.data()) as Float32Array | Int32Array, shape, perm);
        expect(y.shape).toEqual(perm.map((axis) => shape[axis]));
        expect(Array.from(got)).toEqual(Array.from(ref));
        tf.dispose([x, y]);
      }
    },
  );

  it('its gradient (a transpose back) matches cpu', async () => {
    const shape = [2, 5, 3, 4];
    const x = tf.randomNormal(shape, 0, 1, 'float32', 9);
    const dy = tf.randomNormal([2, 3, 5, 4], 0, 1, 'float32', 10);
    const dx = tf.grad((t: tf.Tensor) => tf.transpose(t, [0, 2, 1, 3]).mul(dy).sum())(x);
    const ref = await onCpu((await dy.data()) as Float32Array, [2, 3, 5, 4], [0, 2, 1, 3]);
    expect(Array.from(await dx.data())).toEqual(Array.from(ref));
    tf.dispose([x, dy, dx]);
  });
});
