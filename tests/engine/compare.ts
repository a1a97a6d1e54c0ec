/** Helpers for running the same tfjs computation on two backends and comparing the results. */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';

/** Deterministic float data (mulberry32), so every backend gets identical inputs. */
export function floats(n: number, seed: number, scale = 1): Float32Array {
  let s = seed >>> 0;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1) * scale;
  }
  return out;
}

/** Values and gradients of `f` at `inputs`, read back as plain arrays, with nothing left allocated. */
export async function valueAndGrads(
  f: (...xs: tf.Tensor[]) => tf.Scalar,
  inputs: readonly { data: Float32Array; shape: number[] }[],
): Promise<{ value: number; grads: Float32Array[] }> {
  const before = tf.memory().numTensors;
  const xs = inputs.map(({ data, shape }) => tf.tensor(data, shape));
  const { value, grads } = tf.valueAndGrads((...args: tf.Tensor[]) => f(...args))(xs);
  const result = {
    value: (await value.data())[0]!,
    grads: await Promise.all(grads.map(async (g) => (await g.data()) as Float32Array)),
  };
  tf.dispose([value, ...grads, ...xs]);
  expect(tf.memory().numTensors).toBe(before);
  return result;
}

/** max |a − b| / (max |a| + 1e-6): a relative error that ignores tiny entries. */
export function relativeError(a: ArrayLike<number>, b: ArrayLike<number>): number {
  expect(a.length).toBe(b.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < a.length; i++) {
    diff = Math.max(diff, Math.abs(a[i]! - b[i]!));
    scale = Math.max(scale, Math.abs(a[i]!));
  }
  return diff / (scale + 1e-6);
}
