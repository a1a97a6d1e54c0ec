/**
 * Global-norm clipping folded into AdamW (clip.ts `clipScale`, adamw.ts `apply(…, scale)`) gives
 * the update of clipping first and stepping on the clipped gradients, on cpu (tfjs ops) and on
 * wasm with the native kernels (one fused pass, norm in double precision).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import { nativeAddon } from '../../src/worker/engine/wasm-kernels/native-active.ts';
import { AdamW } from '../../src/worker/unlearn/optim/adamw.ts';
import { clipByGlobalNorm, clipScale } from '../../src/worker/unlearn/optim/clip.ts';

const shapes: Record<string, number[]> = { a: [3, 4], b: [7], c: [2, 3, 5] };

function gradients(seed: number, magnitude: number): Map<string, tf.Tensor> {
  return new Map(
    Object.entries(shapes).map(([name, shape], i) => [
      name,
      tf.randomNormal(shape, 0, magnitude, 'float32', seed + i),
    ]),
  );
}

function parameters(): Map<string, tf.Variable> {
  return new Map(
    Object.entries(shapes).map(([name, shape], i) => [
      name,
      tf.tidy(() => tf.variable(tf.randomNormal(shape, 0, 1, 'float32', 100 + i))),
    ]),
  );
}

async function values(map: ReadonlyMap<string, tf.Tensor>): Promise<Float32Array[]> {
  return Promise.all([...map.values()].map(async (t) => (await t.data()) as Float32Array));
}

/** Two AdamW runs of 3 steps: clip-then-step, and the scale folded into apply. */
async function compare(magnitude: number, maxNorm: number) {
  const [folded, clipped] = [parameters(), parameters()];
  const [one, two] = [new AdamW({ lr: 1e-2 }), new AdamW({ lr: 1e-2 })];
  const norms: [number, number][] = [];
  for (let step = 0; step < 3; step++) {
    const grads = gradients(10 * step, magnitude);
    const { norm, scale } = await clipScale(grads, maxNorm);
    one.apply(folded, grads, scale);
    const reference = clipByGlobalNorm(grads, maxNorm);
    two.apply(clipped, reference.clipped);
    norms.push([norm, (await reference.norm.data())[0]!]);
    tf.dispose([...grads.values(), reference.norm, ...reference.clipped.values()]);
  }
  const result = { norms, folded: await values(folded), clipped: await values(clipped) };
  one.dispose();
  two.dispose();
  tf.dispose([...folded.values(), ...clipped.values()]);
  return result;
}

describe('clipScale', () => {
  it('is torch clip_grad_norm_’s factor: min(1, max / (norm + 1e-6))', async () => {
    await selectBackend('cpu');
    const grads = new Map([['g', tf.tensor1d([3, 4])]]);
    expect(await clipScale(grads, 1)).toEqual({
      norm: 5,
      scale: Math.fround(1 / Math.fround(5 + Math.fround(1e-6))),
    });
    expect((await clipScale(grads, 10)).scale).toBe(1);
    tf.dispose([...grads.values()]);
  });
});

describe.each(['cpu', 'wasm'] as const)('AdamW with the clip scale folded in, on %s', (name) => {
  let before = 0;
  beforeAll(async () => {
    await selectBackend(name);
    if (name === 'wasm') expect(nativeAddon(), 'the native kernels').not.toBeNull();
    before = tf.memory().numTensors;
  });
  afterAll(() => expect(tf.memory().numTensors).toBe(before));

  it.each([
    ['clipping (norm ≫ max)', 3, 1],
    ['not clipping (norm < max)', 0.01, 100],
  ])('%s: same parameters as clip-then-step', async (_label, magnitude, maxNorm) => {
    const { norms, folded, clipped } = await compare(magnitude, maxNorm);
    for (const [ours, reference] of norms)
      expect(Math.abs(ours - reference) / reference).toBeLessThan(1e-6);
    for (const [i, values] of folded.entries()) {
      const ref = clipped[i]!;
      let worst = 0;
      let scale = 0;
      for (let j = 0; j < ref.length; j++) {
        worst = Math.max(worst, Math.abs(values[j]! - ref[j]!));
        scale = Math.max(scale, Math.abs(ref[j]!));
      }
      expect(worst / scale).toBeLessThan(1e-6);
    }
  });
});
