/**
 * Bounded PEU's fused update (native/bounded.c, NepentheBoundedWeight / NepentheBoundedGrad):
 * the kernel against the float32 composition it replaces, element by element, over ordinary,
 * huge and non-finite angles; and a LoRA model's loss and adapter gradients on the native backend
 * (fused) against the cpu backend (the tfjs composition), with the fused kernels really called.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend, type ConcreteBackend } from '../../src/worker/engine/backend.ts';
import { loadNativeAddon } from '../../src/worker/engine/native/addon.ts';
import {
  BOUNDED_GRAD,
  BOUNDED_WEIGHT,
} from '../../src/worker/engine/wasm-kernels/native-layers.ts';
import {
  LoraAdapters,
  loraDefaults,
  type BoundFunction,
} from '../../src/worker/model/adapters/lora.ts';
import { createRandomModel } from '../../src/worker/model/architectures/index.ts';
import type { ModelSpec } from '../../src/worker/model/config.ts';
import { mulberry32 } from '../../src/worker/data/prng.ts';
import { tinyGpt2, tinyLlama } from '../helpers/tiny-specs.ts';

const f32 = Math.fround;
const BOUNDS: BoundFunction[] = ['sine', 'tanh', 'none'];
const OMEGA = 100;
const SCALE = 0.0625;

afterAll(async () => {
  await selectBackend('cpu');
});

/** Angles/100: ordinary, near the poly's quadrant edges, past the reduction's limit, non-finite. */
function mValues(): Float32Array {
  const random = mulberry32(7);
  const values = [0, -0, 1e-30, 0.0157, -0.0157, 81.9, 82, -82, 1e4, -3e5, 1e8, NaN, Infinity];
  for (let i = 0; i < 4000; i++) values.push((random() - 0.5) * (i < 3000 ? 0.2 : 40));
  return Float32Array.from(values);
}

/** lora.ts's composition, one float32 rounding per tfjs kernel. */
function reference(bound: BoundFunction, m: number, base: number, dw: number) {
  if (bound === 'none') return { w: f32(base + f32(m * SCALE)), dm: f32(dw * SCALE) };
  const angle = f32(m * OMEGA);
  const f = f32(bound === 'sine' ? Math.sin(angle) : Math.tanh(angle));
  const slope = bound === 'sine' ? f32(Math.cos(angle)) : f32(1 - f32(f * f));
  return { w: f32(base + f32(f * SCALE)), dm: f32(f32(dw * slope) * f32(SCALE * OMEGA)) };
}

describe.skipIf(!loadNativeAddon(1).ok)('NepentheBoundedGrad and NepentheBoundedWeight', () => {
  it.each(BOUNDS)('match the composition within 2 ulp of sin/cos (%s)', async (bound) => {
    await selectBackend('native');
    const mData = mValues();
    const random = mulberry32(11);
    const baseData = mData.map(() => (random() - 0.5) * 0.2);
    const dwData = mData.map(() => (random() - 0.5) * 4);
    const shape: [number, number] = [1, mData.length];
    const [m, base, dw] = [mData, baseData, dwData].map((d) => tf.tensor2d(d, shape));
    const attrs = { bound, omega: OMEGA, scale: SCALE };
    const [w, dm] = tf
      .engine()
      .runKernel(BOUNDED_GRAD, { m: m!, base: base!, dw: dw! }, attrs) as tf.Tensor[];
    const alone = tf.engine().runKernel(BOUNDED_WEIGHT, { m: m!, base: base! }, attrs) as tf.Tensor;
    const [wOut, dmOut, aloneOut] = [w!, dm!, alone].map((t) => t.dataSync() as Float32Array);
    const ulp = 2 ** -23;
    for (let i = 0; i < mData.length; i++) {
      const want = reference(bound, mData[i]!, baseData[i]!, dwData[i]!);
      const at = `m = ${mData[i]}`;
      expect(aloneOut![i], at).toBe(wOut![i]); // the weight alone is the gradient's weight
      // sin/cos within 2 ulp of 1, scaled; then one rounding of the result. Non-finite values exactly.
      const close = (got: number, expected: number, magnitude: number) =>
        !Number.isFinite(expected)
          ? expect(got, at).toBe(expected) // NaN or ±∞, exactly
          : expect(Math.abs(got - expected), at).toBeLessThanOrEqual(
              2 * ulp * magnitude + ulp * Math.abs(expected),
            );
      close(wOut![i]!, want.w, SCALE);
      close(dmOut![i]!, want.dm, Math.abs(dwData[i]! * SCALE * OMEGA));
    }
    tf.dispose([m!, base!, dw!, w!, dm!, alone]);
  });
});

const gpt2 = tinyGpt2();
const llama = tinyLlama();

/** NLL and every adapter gradient on `backend`, B drawn in JS so both backends start equal. */
async function lossAndGrads(backend: ConcreteBackend, spec: ModelSpec, bound: BoundFunction) {
  await selectBackend(backend);
  const model = createRandomModel(spec, 1);
  const lora = LoraAdapters.attach(model, { ...loraDefaults(4), bound, seed: 3 });
  const random = mulberry32(5);
  for (const [name, v] of lora.variables)
    if (name.endsWith('lora_B.weight'))
      v.assign(
        tf.tensor(
          Float32Array.from({ length: v.size }, () => (random() - 0.5) * 0.1),
          v.shape,
        ),
      );
  const ids = tf.tensor2d(
    Array.from({ length: 32 }, (_, i) => (i * 7 + 3) % spec.vocabSize),
    [2, 16],
    'int32',
  );
  const kernels: string[] = [];
  const profile = await tf.profile(() => {
    const { value, grads } = tf.variableGrads(() => model.nll(ids), [...lora.variables.values()]);
    return [value, ...Object.values(grads)];
  });
  for (const k of profile.kernels) kernels.push(k.name);
  const { value, grads } = tf.variableGrads(() => model.nll(ids), [...lora.variables.values()]);
  const loss = value.dataSync()[0]!;
  const gradients = new Map(
    [...lora.variables].map(([name, v]) => [name, Array.from(grads[v.name]!.dataSync())]),
  );
  tf.dispose([value, ids, ...Object.values(grads)]);
  const norms = await lora.norms(); // the per-step log's ‖ΔW‖: fused too
  const before = tf.memory().numBytes;
  const normsProfile = await tf.profile(async () => {
    await lora.norms();
    return [];
  });
  const sinInNorms = normsProfile.kernels.some((k) => k.name === 'Sin');
  // One weight's update at a time: never all of them at once (the 1B run's peak).
  const largest = Math.max(...lora.targets.map((t) => t.dIn * t.dOut)) * 4;
  const normsExtraBytes = normsProfile.peakBytes - before;
  expect(normsExtraBytes).toBeLessThanOrEqual(6 * largest + 4096);
  expect(4 * lora.targets.length * largest).toBeGreaterThan(6 * largest + 4096); // all at once: fails
  lora.dispose();
  model.dispose();
  return { loss, gradients, kernels, norms, sinInNorms };
}

describe.skipIf(!loadNativeAddon(1).ok)('bounded LoRA on the fused kernels', () => {
  it.each([
    ['gpt2', gpt2],
    ['llama', llama],
  ] as const)(
    'gives the composition’s loss and gradients (%s; native sine and tanh, wasm sine)',
    async (_, spec) => {
      for (const bound of ['sine', 'tanh'] as const) {
        const composed = await lossAndGrads('cpu', spec, bound);
        const fused = await lossAndGrads('native', spec, bound);
        expect(composed.kernels).toContain(bound === 'sine' ? 'Sin' : 'Tanh');
        expect(fused.kernels).toContain(BOUNDED_GRAD);
        expect(fused.kernels).toContain(BOUNDED_WEIGHT);
        expect(fused.kernels).not.toContain('Sin');
        expect(fused.kernels).not.toContain('Cos');
        expect(Math.abs(fused.loss - composed.loss)).toBeLessThan(1e-5 * Math.abs(composed.loss));
        expect(fused.sinInNorms).toBe(false);
        expect(fused.norms.deltaNorm).toBeGreaterThan(0);
        expect(Math.abs(fused.norms.deltaNorm - composed.norms.deltaNorm)).toBeLessThan(
          1e-5 * composed.norms.deltaNorm,
        );
        for (const [name, want] of composed.gradients) {
          const got = fused.gradients.get(name)!;
          const scale = Math.max(...want.map(Math.abs));
          expect(scale, name).toBeGreaterThan(0);
          const diff = Math.max(...want.map((x, i) => Math.abs(x - got[i]!)));
          expect(diff / scale, `${bound} ${name}`).toBeLessThan(1e-4);
        }
      }
    },
    60_000,
  );
});
