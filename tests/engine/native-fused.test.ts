/**
 * The fused native kernels (src/worker/engine/wasm-kernels/native-layers.ts, native-adamw.ts) and
 * the native copies (native-elementwise.ts: SplitV, Concat, Slice, GatherV2, Cast) on wasm, through
 * the functions the models call: geluTanh, layerNorm, tokenCrossEntropy and maskedCrossEntropy
 * (ops.ts), attention's masked softmax (attention.ts), AdamW (adamw.ts) and a whole GPT-2 loss.
 *
 * References: the SAME functions with the native kernels switched off (`useNativeKernels(null)`,
 * which runs the tfjs compositions on the stock wasm kernels), float64 math in plain JS, and the
 * cpu backend (copies must be bit-identical there). Tolerance max |got − ref| / max |ref| ≤ 1e-5
 * unless stated: AdamW 1e-6, the whole model 1e-4 norm-relative (tests/golden/fixtures.ts).
 *
 * The addon is required: without it every test here fails; build it with
 * `node scripts/build-native.mjs`. The active addon is wrapped in a counter, so each test also
 * checks that the native functions ran (or, for fallbacks and the switched-off runs, did not).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import type { NativeAddon } from '../../src/worker/engine/native/addon.ts';
import { useNativeKernels } from '../../src/worker/engine/wasm-kernels/index.ts';
import { nativeAddon } from '../../src/worker/engine/wasm-kernels/native-active.ts';
import {
  causalAttention,
  causalMask,
  LayerKvCache,
  paddedCausalMask,
} from '../../src/worker/model/architectures/attention.ts';
import {
  fusedLayersAvailable,
  fusedMaskedSoftmax,
} from '../../src/worker/model/architectures/fused-ops.ts';
import { createRandomModel } from '../../src/worker/model/architectures/index.ts';
import {
  geluTanh,
  layerNorm,
  maskedCrossEntropy,
  tokenCrossEntropy,
} from '../../src/worker/model/architectures/ops.ts';
import { benchSpec } from '../../src/worker/tasks/bench.ts';
import { AdamW } from '../../src/worker/unlearn/optim/adamw.ts';
import { relativeErrors, TOLERANCE as MODEL_TOLERANCE } from '../golden/fixtures.ts';
import { floats } from './compare.ts';
import { relativeError } from '../helpers/relative-error.ts';
import { countNativeCalls } from '../helpers/native-addon.ts';

const TOLERANCE = 1e-5;
const ADAMW_TOLERANCE = 1e-6;
const MASKED = -1e9; // causalMask's entry for a hidden key

type Values = Float32Array | Int32Array | Uint8Array;
interface Out {
  values: Values;
  shape: number[];
  dtype: tf.DataType;
}

// ---------------------------------------------------------------------------------------------
// The addon, counted

/** Calls of each native function (unary also as `unary:<op>`: 0 exp, 1 tanh, 2 GELU). */
let calls = new Map<string, number>();
let realAddon: NativeAddon;
let countingAddon: NativeAddon;
/** Why the addon is not active, or null; every test fails with it (a failed beforeAll would skip them). */
let missing: string | null = null;

beforeAll(async () => {
  await selectBackend('wasm');
  const counted = countNativeCalls();
  if (typeof counted === 'string') {
    missing = counted;
    return;
  }
  ({ real: realAddon, counting: countingAddon, calls } = counted);
  useNativeKernels(countingAddon);
});

afterAll(() => {
  if (realAddon) useNativeKernels(realAddon);
});

let tensorsBefore = 0;
beforeEach(async () => {
  if (missing !== null) throw new Error(missing);
  useNativeKernels(countingAddon);
  await tf.setBackend('wasm');
  tensorsBefore = tf.memory().numTensors;
});
afterEach(async () => {
  // A test that switched the native kernels off (or failed meanwhile) gets them back here.
  if (missing === null) useNativeKernels(countingAddon);
  await tf.setBackend('wasm');
  expect(tf.memory().numTensors, 'tensors leaked by the test').toBe(tensorsBefore);
});

/**
 * Runs `body` and returns, with its result, how many times a native function was called
 * meanwhile (`'*'`: all of them together).
 */
async function counting<T>(body: () => Promise<T>): Promise<[T, (name: string) => number]> {
  const before = new Map(calls);
  const result = await body();
  const after = new Map(calls);
  const count = (name: string): number => (after.get(name) ?? 0) - (before.get(name) ?? 0);
  const total = (): number =>
    [...after.keys()].filter((k) => !k.includes(':')).reduce((sum, k) => sum + count(k), 0);
  return [result, (name) => (name === '*' ? total() : count(name))];
}

/** Runs `body` with the native kernels off (the tfjs compositions on stock wasm kernels). */
async function nativeOff<T>(body: () => Promise<T>): Promise<T> {
  useNativeKernels(null);
  try {
    expect(nativeAddon()).toBeNull();
    expect(fusedLayersAvailable(), 'the fused layers are off').toBe(false);
    const [result, count] = await counting(body);
    expect(count('*'), 'native calls with the native kernels off').toBe(0);
    return result;
  } finally {
    useNativeKernels(countingAddon);
  }
}

// ---------------------------------------------------------------------------------------------
// Running and comparing

/** Runs `f` in a tidy, reads every output back, disposes them, checks nothing leaked. */
async function evaluate(f: () => tf.Tensor | tf.Tensor[]): Promise<Out[]> {
  const before = tf.memory().numTensors;
  const outs = tf.tidy(() => {
    const r = f();
    return Array.isArray(r) ? r : [r];
  });
  const result = await Promise.all(
    outs.map(async (t) => ({ values: await t.data(), shape: t.shape, dtype: t.dtype })),
  );
  tf.dispose(outs);
  expect(tf.memory().numTensors, 'tensors leaked by the computation').toBe(before);
  return result;
}

/** `f` on wasm with the native kernels (counted), then with them off. */
async function onAndOff(
  f: () => tf.Tensor | tf.Tensor[],
): Promise<{ on: Out[]; off: Out[]; count: (name: string) => number }> {
  const [on, count] = await counting(() => evaluate(f));
  const off = await nativeOff(() => evaluate(f));
  return { on, off, count };
}

/** `f` on the cpu backend. */
async function onCpu(f: () => tf.Tensor | tf.Tensor[]): Promise<Out[]> {
  await tf.setBackend('cpu');
  try {
    return await evaluate(f);
  } finally {
    await tf.setBackend('wasm');
  }
}

/** Same shapes and values within `tolerance`, output by output. */
function expectClose(got: Out[], ref: Out[], what: string, tolerance = TOLERANCE): void {
  expect(got.length, `${what}: outputs`).toBe(ref.length);
  got.forEach((g, i) => {
    expect(g.shape, `${what}: output ${i} shape`).toEqual(ref[i]!.shape);
    expect(relativeError(g.values, ref[i]!.values), `${what}: output ${i}`).toBeLessThanOrEqual(
      tolerance,
    );
  });
}

/** float32 values as float32, float64 values as they are, one array per output. */
function expectCloseTo64(got: Out[], ref: ArrayLike<number>[], what: string): void {
  expect(got.length, `${what}: outputs`).toBe(ref.length);
  got.forEach((g, i) =>
    expect(relativeError(g.values, ref[i]!), `${what}: output ${i}`).toBeLessThanOrEqual(TOLERANCE),
  );
}

/**
 * Same shapes, dtypes and bytes (copies must be bit-identical). The values are compared as their
 * dtype's array: tfjs's cpu backend keeps an int32→float32 cast's Int32Array (no encoding loss).
 */
function expectIdentical(got: Out[], ref: Out[], what: string): void {
  expect(got.length, `${what}: outputs`).toBe(ref.length);
  const ARRAYS = { float32: Float32Array, int32: Int32Array, bool: Uint8Array } as const;
  const bytes = (v: Values, dtype: tf.DataType): Uint8Array => {
    const Type = ARRAYS[dtype as keyof typeof ARRAYS];
    const typed = v instanceof Type ? v : Type.from(v);
    return new Uint8Array(typed.buffer, typed.byteOffset, typed.byteLength);
  };
  got.forEach((g, i) => {
    const r = ref[i]!;
    expect(g.shape, `${what}: output ${i} shape`).toEqual(r.shape);
    expect(g.dtype, `${what}: output ${i} dtype`).toBe(r.dtype);
    const [a, b] = [bytes(g.values, g.dtype), bytes(r.values, r.dtype)];
    expect(a.length, `${what}: output ${i} length`).toBe(b.length);
    let k = 0;
    while (k < a.length && a[k] === b[k]) k++;
    expect(k, `${what}: output ${i}, first byte that differs`).toBe(a.length);
  });
}

const size = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

// ---------------------------------------------------------------------------------------------
// float64 references

const GELU_K = Math.sqrt(2 / Math.PI);
const gelu64 = (x: number): number => 0.5 * x * (1 + Math.tanh(GELU_K * (x + 0.044715 * x ** 3)));
function geluGrad64(x: number): number {
  const t = Math.tanh(GELU_K * (x + 0.044715 * x ** 3));
  return 0.5 * (1 + t) + 0.5 * x * (1 - t * t) * GELU_K * (1 + 3 * 0.044715 * x * x);
}

/** LayerNorm over rows of c, and its gradients for the upstream gradient g. */
function layerNorm64(
  x: Float32Array,
  w: Float32Array,
  b: Float32Array,
  g: Float32Array,
  c: number,
  eps: number,
): { y: Float64Array; dx: Float64Array; dw: Float64Array; db: Float64Array } {
  const rows = x.length / c;
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  const dw = new Float64Array(c);
  const db = new Float64Array(c);
  for (let r = 0; r < rows; r++) {
    const row = (i: number): number => x[r * c + i]!;
    let mean = 0;
    for (let i = 0; i < c; i++) mean += row(i);
    mean /= c;
    let variance = 0;
    for (let i = 0; i < c; i++) variance += (row(i) - mean) ** 2;
    variance /= c;
    const rstd = 1 / Math.sqrt(variance + eps);
    const xhat = (i: number): number => (row(i) - mean) * rstd;
    let meanG = 0;
    let meanGx = 0;
    for (let i = 0; i < c; i++) {
      const gw = g[r * c + i]! * w[i]!;
      meanG += gw / c;
      meanGx += (gw * xhat(i)) / c;
    }
    for (let i = 0; i < c; i++) {
      const at = r * c + i;
      y[at] = xhat(i) * w[i]! + b[i]!;
      dx[at] = rstd * (g[at]! * w[i]! - meanG - xhat(i) * meanGx);
      dw[i]! += g[at]! * xhat(i);
      db[i]! += g[at]!;
    }
  }
  return { y, dx, dw, db };
}

/** softmax(x + mask[row % t]) per row of s, and dx for the upstream gradient g. */
function maskedSoftmax64(
  x: Float32Array,
  mask: Float32Array | null,
  g: Float32Array,
  s: number,
  t: number,
): { y: Float64Array; dx: Float64Array } {
  const y = new Float64Array(x.length);
  const dx = new Float64Array(x.length);
  for (let r = 0; r < x.length / s; r++) {
    const v = Array.from({ length: s }, (_, i) => x[r * s + i]! + (mask?.[(r % t) * s + i] ?? 0));
    const max = Math.max(...v);
    const e = v.map((vi) => Math.exp(vi - max));
    const total = e.reduce((p, q) => p + q, 0);
    let dot = 0;
    for (let i = 0; i < s; i++) {
      y[r * s + i] = e[i]! / total;
      dot += g[r * s + i]! * y[r * s + i]!;
    }
    for (let i = 0; i < s; i++) dx[r * s + i] = y[r * s + i]! * (g[r * s + i]! - dot);
  }
  return { y, dx };
}

/** Per-row logsumexp(z) − z[t] and its gradient (softmax − onehot) · dy. */
function crossEntropy64(
  z: Float32Array,
  targets: Int32Array,
  dy: Float32Array,
  v: number,
): { loss: Float64Array; dz: Float64Array } {
  const n = targets.length;
  const loss = new Float64Array(n);
  const dz = new Float64Array(n * v);
  for (let r = 0; r < n; r++) {
    let max = -Infinity;
    for (let i = 0; i < v; i++) max = Math.max(max, z[r * v + i]!);
    let total = 0;
    for (let i = 0; i < v; i++) total += Math.exp(z[r * v + i]! - max);
    loss[r] = max + Math.log(total) - z[r * v + targets[r]!]!;
    for (let i = 0; i < v; i++) dz[r * v + i] = (Math.exp(z[r * v + i]! - max) / total) * dy[r]!;
    dz[r * v + targets[r]!]! -= dy[r]!;
  }
  return { loss, dz };
}

// ---------------------------------------------------------------------------------------------

describe('the native addon', () => {
  it('is active on wasm after selectBackend("wasm"), with the fused layers', () => {
    expect(missing).toBeNull();
    expect(nativeAddon()).toBe(countingAddon);
    expect(typeof realAddon.layerNorm).toBe('function');
    expect(fusedLayersAvailable()).toBe(true);
  });
});

describe('geluTanh (ops.ts) on the fused kernel', () => {
  const EXTREMES = [10, -10, 30, -30, 0, 1e-3, -1e-3, 3, -3];
  /** 1031 values: the extremes, then uniform in [-6, 6]. */
  const xs = Float32Array.from([...EXTREMES, ...floats(1031 - EXTREMES.length, 1, 6)]);
  const dy = floats(1031, 2, 2);

  it('values, 1031 elements (vector remainder) and extremes ±10, ±30, 0', async () => {
    for (const shape of [[1031], [1, 1031]]) {
      const { on, off, count } = await onAndOff(() => geluTanh(tf.tensor(xs, shape)));
      expect(count('unary:2'), 'GELU ran natively').toBe(1);
      expect(on[0]!.shape).toEqual(shape);
      expectClose(on, off, 'native vs composition');
      expectCloseTo64(on, [Array.from(xs, gelu64)], 'native vs float64');
      // Also on the random part alone, whose scale is not set by the ±30.
      const random = (v: ArrayLike<number>) => Array.from(v).slice(EXTREMES.length);
      expect(relativeError(random(on[0]!.values), random(off[0]!.values))).toBeLessThanOrEqual(
        TOLERANCE,
      );
      expect(
        relativeError(random(on[0]!.values), random(Array.from(xs, gelu64))),
      ).toBeLessThanOrEqual(TOLERANCE);
      const at = (x: number): number => on[0]!.values[EXTREMES.indexOf(x)]!;
      expect(at(10)).toBe(10);
      expect(at(30)).toBe(30);
      expect(at(-10) + 0).toBe(0);
      expect(at(-30) + 0).toBe(0);
      expect(at(0) + 0).toBe(0);
    }
  });

  it('gradient (tf.grad) against the composition and float64', async () => {
    const { on, off, count } = await onAndOff(() =>
      tf.grad((x: tf.Tensor) => geluTanh(x).mul(tf.tensor1d(dy)).sum())(tf.tensor1d(xs)),
    );
    expect(count('unary:2')).toBe(1);
    expect(count('geluGrad'), 'the gradient ran natively').toBe(1);
    expectClose(on, off, 'native vs composition');
    const ref = Array.from(xs, (x, i) => geluGrad64(x) * dy[i]!);
    expectCloseTo64(on, [ref], 'vs float64');
    const random = (v: ArrayLike<number>) => Array.from(v).slice(EXTREMES.length);
    expect(relativeError(random(on[0]!.values), random(off[0]!.values))).toBeLessThanOrEqual(
      TOLERANCE,
    );
    expect(relativeError(random(on[0]!.values), random(ref))).toBeLessThanOrEqual(TOLERANCE);
    const at = (x: number): number => on[0]!.values[EXTREMES.indexOf(x)]!;
    const dyAt = (x: number): number => dy[EXTREMES.indexOf(x)]!;
    expect(at(30)).toBe(dyAt(30));
    expect(at(10)).toBe(dyAt(10));
    expect(at(-30) + 0).toBe(0);
    expect(at(-10) + 0).toBe(0);
    expect(at(0)).toBe(Math.fround(dyAt(0) * 0.5));
  });
});

describe('layerNorm (ops.ts) on the fused kernels', () => {
  const EPS = 1e-5;
  const ROWS = 6;
  /** Rows 0 and 1 constant (0 and 0.75: variance exactly 0), the rest offset and scaled. */
  function inputs(c: number, seed: number) {
    const x = floats(ROWS * c, seed, 3);
    x.fill(0, 0, c);
    x.fill(0.75, c, 2 * c);
    for (let r = 2; r < ROWS; r++) for (let i = 0; i < c; i++) x[r * c + i]! += r - 3;
    const w = floats(c, seed + 1, 1.5);
    const b = floats(c, seed + 2);
    const g = floats(ROWS * c, seed + 3);
    return { x, w, b, g };
  }

  it.each([1, 7, 256, 1031])('(6, %i): values and gradients for x, weight, bias', async (c) => {
    const { x, w, b, g } = inputs(c, 10 + c);
    const tensors = () => [tf.tensor2d(x, [ROWS, c]), tf.tensor1d(w), tf.tensor1d(b)] as const;
    const forward = await onAndOff(() => layerNorm(...tensors(), EPS));
    expect(forward.count('layerNorm'), 'ran natively').toBe(1);
    const backward = await onAndOff(() => {
      const upstream = tf.tensor2d(g, [ROWS, c]);
      const loss = (p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) =>
        layerNorm(p as tf.Tensor2D, q as tf.Tensor1D, r as tf.Tensor1D, EPS)
          .mul(upstream)
          .sum();
      const { value, grads } = tf.valueAndGrads(loss)([...tensors()]);
      return [value, ...grads];
    });
    expect(backward.count('layerNormGrad'), 'the gradient ran natively').toBe(1);

    const ref = layerNorm64(x, w, b, g, c, EPS);
    expectClose(forward.on, forward.off, 'y: native vs composition');
    expectCloseTo64(forward.on, [ref.y], 'y: native vs float64');
    expectClose(backward.on.slice(1), backward.off.slice(1), 'dx, dw, db: native vs composition');
    expectCloseTo64(backward.on.slice(1), [ref.dx, ref.dw, ref.db], 'dx, dw, db: vs float64');
    // A constant row normalizes to exactly the bias, natively and in the composition.
    for (const out of [forward.on[0]!, forward.off[0]!]) {
      for (const row of [0, 1]) {
        expect(Array.from(out.values.subarray(row * c, (row + 1) * c)), `row ${row}`).toEqual(
          Array.from(b),
        );
      }
    }
  });
});

describe("causalAttention's masked softmax on the fused kernels", () => {
  // [name, B*nh, T, S, masked]
  const CASES: [string, number, number, number, boolean][] = [
    ['cache-like mask (5, 9)', 6, 5, 9, true],
    ['square mask (33, 33)', 6, 33, 33, true],
    ['no mask (5, 9)', 6, 5, 9, false],
    ['no mask (33, 33)', 4, 33, 33, false],
  ];

  it.each(CASES)('%s: x (%i, %i, %i), values and gradient', async (_name, heads, T, S, masked) => {
    const x = floats(heads * T * S, 30 + S, 4);
    const g = floats(heads * T * S, 31 + S);
    const maskValues = masked
      ? ((await evaluate(() => causalMask(T, S)))[0]!.values as Float32Array)
      : null;
    const mask = () => (maskValues ? tf.tensor2d(maskValues, [T, S]) : null);
    const fused = (p: tf.Tensor) => fusedMaskedSoftmax(p, mask());
    const composed = (p: tf.Tensor) => {
      const m = mask();
      return tf.softmax(m ? p.add(m) : p);
    };
    const both = (softmax: (p: tf.Tensor) => tf.Tensor) => () => {
      const input = tf.tensor3d(x, [heads, T, S]);
      const upstream = tf.tensor3d(g, [heads, T, S]);
      return [softmax(input), tf.grad((p: tf.Tensor) => softmax(p).mul(upstream).sum())(input)];
    };
    const [native, count] = await counting(() => evaluate(both(fused)));
    expect(count('maskedSoftmax'), 'ran natively').toBe(2);
    expect(count('softmaxGrad'), 'the gradient ran natively').toBe(1);
    const composition = await nativeOff(() => evaluate(both(composed)));
    const cpu = await onCpu(both(composed));
    expectClose(native, composition, 'native vs tf.softmax(x + mask) on wasm');
    expectClose(native, cpu, 'native vs tf.softmax(x + mask) on cpu');
    const ref = maskedSoftmax64(x, maskValues, g, S, T);
    expectCloseTo64(native, [ref.y, ref.dx], 'native vs float64');
    // Every hidden key: probability and gradient exactly 0; every row sums to 1.
    const [y, dx] = [native[0]!.values, native[1]!.values];
    let hidden = 0;
    for (let r = 0; r < heads * T; r++) {
      let total = 0;
      for (let i = 0; i < S; i++) {
        total += y[r * S + i]!;
        if (maskValues?.[(r % T) * S + i] === MASKED) {
          hidden++;
          expect(y[r * S + i], `p at row ${r}, key ${i}`).toBe(0);
          expect(dx[r * S + i]! + 0, `dx at row ${r}, key ${i}`).toBe(0);
        }
      }
      expect(Math.abs(total - 1)).toBeLessThanOrEqual(1e-6);
    }
    expect(hidden).toBe(masked ? heads * ((T * (T - 1)) / 2) : 0);
  });

  it('causalAttention (B 2, T 33, 4 heads of 16) and its gradients, native vs composition', async () => {
    const [B, T, nh, hs] = [2, 33, 4, 16];
    const shape = { batch: B, time: T, heads: nh, kvHeads: nh, headDim: hs };
    const [q, k, v] = [40, 41, 42].map((seed) => floats(B * T * nh * hs, seed, 2));
    const g = floats(B * T * nh * hs, 43);
    const { on, off, count } = await onAndOff(() => {
      const mask = causalMask(T, T);
      const upstream = tf.tensor2d(g, [B * T, nh * hs]);
      const f = (a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) =>
        causalAttention(a as tf.Tensor4D, b as tf.Tensor4D, c as tf.Tensor4D, shape, mask, null)
          .mul(upstream)
          .sum();
      const inputs = [q, k, v].map((d) => tf.tensor4d(d!, [B, T, nh, hs]));
      const { value, grads } = tf.valueAndGrads(f)(inputs);
      return [value, ...grads];
    });
    expect(count('maskedSoftmax'), 'causalAttention took the fused softmax').toBeGreaterThan(0);
    expect(count('softmaxGrad')).toBe(1);
    expectClose(on, off, 'value and dq, dk, dv');
  });

  it('a mask per batch row (B, T, S), as left-padded decoding makes: values and gradient', async () => {
    // Before: tf.softmax(x + mask) in JavaScript, 44 of 97 s of the 0.5B testbed's PII probes.
    const [B, H, T, S] = [3, 4, 5, 9];
    const x = floats(B * H * T * S, 70, 4);
    const g = floats(B * H * T * S, 71);
    const padding = [0, 2, 6];
    const maskValues = (await evaluate(() => paddedCausalMask(T, S, padding)))[0]!
      .values as Float32Array;
    const both = (softmax: (p: tf.Tensor4D, m: tf.Tensor3D) => tf.Tensor) => () => {
      const input = tf.tensor4d(x, [B, H, T, S]);
      const upstream = tf.tensor4d(g, [B, H, T, S]);
      const mask = tf.tensor3d(maskValues, [B, T, S]);
      const f = (p: tf.Tensor) => softmax(p as tf.Tensor4D, mask);
      return [f(input), tf.grad((p: tf.Tensor) => f(p).mul(upstream).sum())(input)];
    };
    const composed = (p: tf.Tensor4D, m: tf.Tensor3D) => tf.softmax(p.add(m.reshape([B, 1, T, S])));
    const [native, count] = await counting(() => evaluate(both(fusedMaskedSoftmax)));
    expect(count('maskedSoftmax'), 'ran natively').toBe(2);
    expectClose(native, await nativeOff(() => evaluate(both(composed))), 'native vs composition');
    expectClose(native, await onCpu(both(composed)), 'native vs composition on cpu');
    // float64: the mask row of x row r = ((b·H + h)·T + t) is b·T + t.
    const perRow = new Float32Array(B * H * T * S);
    for (let r = 0; r < B * H * T; r++) {
      const b = Math.floor(r / (H * T));
      perRow.set(maskValues.subarray((b * T + (r % T)) * S, (b * T + (r % T) + 1) * S), r * S);
    }
    const ref = maskedSoftmax64(x, perRow, g, S, B * H * T);
    expectCloseTo64(native, [ref.y, ref.dx], 'native vs float64');
    // Row 2's six padding keys are hidden from its real queries (positions 4..8 are ≥ 6 only
    // from query 2 on: queries 0 and 1 are padding themselves).
    const y = native[0]!.values;
    const at = (b: number, h: number, t: number, k: number) => y[((b * H + h) * T + t) * S + k]!;
    for (let k = 0; k < 6; k++) expect(at(2, 3, 4, k), `key ${k}`).toBe(0);
    expect(at(0, 3, 4, 0)).toBeGreaterThan(0); // row 0 has no padding
  });

  it('causalAttention with a key/value cache: 4 positions, then 5 more (mask (5, 9))', async () => {
    const [B, nh, hs] = [2, 3, 8];
    const step = (T: number, seed: number) => {
      const shape = { batch: B, time: T, heads: nh, kvHeads: nh, headDim: hs };
      return [shape, [0, 1, 2].map((i) => floats(B * T * nh * hs, seed + i, 2))] as const;
    };
    const run = () => {
      const cache = new LayerKvCache(1);
      try {
        return [step(4, 50), step(5, 60)].map(([shape, [q, k, v]]) => {
          const S = cache.length + shape.time;
          const t4 = (d: Float32Array) => tf.tensor4d(d, [B, shape.time, nh, hs]);
          const y = causalAttention(t4(q!), t4(k!), t4(v!), shape, causalMask(shape.time, S), {
            cache,
            layer: 0,
          });
          cache.advance(shape.time);
          return y;
        });
      } finally {
        cache.dispose();
      }
    };
    const { on, off, count } = await onAndOff(run);
    expect(count('maskedSoftmax')).toBe(2);
    expectClose(on, off, 'outputs of both calls');
  });
});

describe('tokenCrossEntropy and maskedCrossEntropy (ops.ts) on the fused kernels', () => {
  const N = 7;
  function inputs(v: number, seed: number) {
    const z = floats(N * v, seed, 50); // logits up to ±50
    const targets = Int32Array.from(floats(N, seed + 1), (u) => Math.floor(((u + 1) / 2) * v));
    targets[0] = 0;
    targets[1] = v - 1;
    const dy = floats(N, seed + 2, 2);
    const weights = Float32Array.from([1, 0, 1, 0.5, 1, 1, 0]);
    return { z, targets, dy, weights };
  }

  // The targets are made outside the differentiated function, as the models do (a test below
  // makes them inside it).
  it.each([1031, 8192])('(7, %i): per-row loss and its gradient', async (v) => {
    const { z, targets, dy } = inputs(v, 70 + v);
    const { on, off, count } = await onAndOff(() => {
      const t = tf.tensor1d(targets, 'int32');
      const logits = tf.tensor2d(z, [N, v]);
      const upstream = tf.tensor1d(dy);
      const f = (p: tf.Tensor) => tokenCrossEntropy(p as tf.Tensor2D, t);
      return [f(logits), tf.grad((p: tf.Tensor) => f(p).mul(upstream).sum())(logits)];
    });
    expect(count('xentForward'), 'ran natively').toBe(2);
    expect(count('xentBackward'), 'the gradient ran natively').toBe(1);
    expectClose(on, off, 'native vs composition');
    const ref = crossEntropy64(z, targets, dy, v);
    expectCloseTo64(on, [ref.loss, ref.dz], 'native vs float64');
  });

  it.each([1031, 8192])('(7, %i): masked mean and its gradient', async (v) => {
    const { z, targets, weights } = inputs(v, 80 + v);
    const { on, off, count } = await onAndOff(() => {
      const t = tf.tensor1d(targets, 'int32');
      const w = tf.tensor1d(weights);
      const f = (p: tf.Tensor) => maskedCrossEntropy(p as tf.Tensor2D, t, w);
      const { value, grad } = tf.valueAndGrad(f)(tf.tensor2d(z, [N, v]));
      return [value, grad];
    });
    expect(count('xentForward')).toBe(1);
    expect(count('xentBackward')).toBe(1);
    expectClose(on, off, 'native vs composition');
    const total = weights.reduce((p, q) => p + q, 0);
    const ref = crossEntropy64(
      z,
      targets,
      weights.map((w) => w / total),
      v,
    );
    const mean = ref.loss.reduce((p, l, i) => p + (l * weights[i]!) / total, 0);
    expectCloseTo64(on, [[mean], ref.dz], 'native vs float64');
  });

  // Regression (found by this test before the fix).
  it('targets made inside the differentiated function: the gradient still works', async () => {
    const v = 1031;
    const { z, targets, dy } = inputs(v, 95);
    const f = () => {
      const logits = tf.tensor2d(z, [N, v]);
      const upstream = tf.tensor1d(dy);
      return tf.grad((p: tf.Tensor) =>
        tokenCrossEntropy(p as tf.Tensor2D, tf.tensor1d(targets, 'int32'))
          .mul(upstream)
          .sum(),
      )(logits);
    };
    const off = await nativeOff(() => evaluate(f));
    expectCloseTo64(off, [crossEntropy64(z, targets, dy, v).dz], 'composition vs float64');
    const before = tf.memory().numTensors;
    let leaked = 0;
    try {
      const [on, count] = await counting(() => evaluate(f));
      expect(count('xentForward')).toBe(1);
      expectClose(on, off, 'native vs composition');
    } finally {
      // A failed backward pass strands what the forward pass saved: counted here, not again
      // by afterEach.
      leaked = tf.memory().numTensors - before;
      tensorsBefore += leaked;
    }
    expect(leaked, 'tensors leaked').toBe(0);
  });

  it.each([-1, 1031])(
    'target %i (out of range) throws, naming it, and leaks nothing',
    async (bad) => {
      const v = 1031;
      const { z, targets, weights } = inputs(v, 90);
      targets[3] = bad;
      const named = new RegExp(`target ${bad}(?!\\d)`);
      const logits = tf.tensor2d(z, [N, v]);
      const t = tf.tensor1d(targets, 'int32');
      const w = tf.tensor1d(weights);
      const before = tf.memory().numTensors;
      const [, count] = await counting(async () => {
        expect(() => tokenCrossEntropy(logits, t)).toThrow(named);
        expect(tf.memory().numTensors, 'after tokenCrossEntropy').toBe(before);
        expect(() =>
          tf.grad((p: tf.Tensor) => tokenCrossEntropy(p as tf.Tensor2D, t).sum())(logits),
        ).toThrow(named);
        expect(tf.memory().numTensors, 'after its gradient').toBe(before);
        // maskedCrossEntropy composes ops, whose intermediates belong to the caller's tidy (as nll).
        expect(() => tf.tidy(() => maskedCrossEntropy(logits, t, w))).toThrow(named);
        expect(tf.memory().numTensors, 'after maskedCrossEntropy').toBe(before);
        let error: unknown;
        try {
          tokenCrossEntropy(logits, t);
        } catch (e) {
          error = e;
        }
        expect(error).toBeInstanceOf(Error);
      });
      expect(count('xentForward')).toBe(4);
      expect(count('xentBackward')).toBe(0);
      // The engine is still usable: a valid call right after gives the composition's answer.
      targets[3] = 5;
      const good = await evaluate(() => tokenCrossEntropy(logits, tf.tensor1d(targets, 'int32')));
      expectCloseTo64(good, [crossEntropy64(z, targets, new Float32Array(N), v).loss], 'after');
      tf.dispose([logits, t, w]);
    },
  );
});

describe('AdamW (adamw.ts): the native step against the composition', () => {
  const SHAPES: Record<string, number[]> = { a: [1031], b: [33, 65], c: [7], d: [2, 3, 5] };
  const STEPS = 3;

  /** float64 AdamW (torch.optim.AdamW's order), `STEPS` steps. */
  function adamW64(
    p0: Float32Array,
    grads: Float32Array[],
    lr: number,
    wd: number,
  ): { p: Float64Array; m: Float64Array; v: Float64Array } {
    const [b1, b2, eps] = [0.9, 0.999, 1e-8];
    const p = Float64Array.from(p0);
    const m = new Float64Array(p0.length);
    const v = new Float64Array(p0.length);
    grads.forEach((g, step) => {
      const c1 = 1 - b1 ** (step + 1);
      const c2 = 1 - b2 ** (step + 1);
      for (let i = 0; i < p.length; i++) {
        m[i] = b1 * m[i]! + (1 - b1) * g[i]!;
        v[i] = b2 * v[i]! + (1 - b2) * g[i]! ** 2;
        p[i] = p[i]! * (1 - lr * wd) - (lr * (m[i]! / c1)) / (Math.sqrt(v[i]! / c2) + eps);
      }
    });
    return { p, m, v };
  }

  it.each([0, 0.01])('3 steps, lr 1e-3, weight decay %s', async (weightDecay) => {
    const lr = 1e-3;
    const names = Object.keys(SHAPES);
    const initial = names.map((name, i) => floats(size(SHAPES[name]!), 100 + i));
    const grads = Array.from({ length: STEPS }, (_, step) =>
      names.map((name, i) => floats(size(SHAPES[name]!), 200 + 10 * step + i, 0.1 * (step + 1))),
    );
    const before = tf.memory().numTensors;
    let leaked = 0;
    const make = (tag: string) =>
      new Map(
        names.map((name, i) => [
          name,
          tf.tidy(() =>
            tf.variable(
              tf.tensor(initial[i]!, SHAPES[name]),
              true,
              `adamw-${tag}-${name}-${weightDecay}`,
            ),
          ),
        ]),
      );
    const paramsOn = make('on');
    const paramsOff = make('off');
    const optimizerOn = new AdamW({ lr, weightDecay });
    const optimizerOff = new AdamW({ lr, weightDecay });
    try {
      for (let step = 0; step < STEPS; step++) {
        const g = new Map(
          names.map((name, i) => [name, tf.tensor(grads[step]![i]!, SHAPES[name])]),
        );
        const [, count] = await counting(async () => optimizerOn.apply(paramsOn, g));
        expect(count('adamw'), 'one native pass per parameter').toBe(names.length);
        await nativeOff(async () => optimizerOff.apply(paramsOff, g));
        tf.dispose([...g.values()]);
      }
      expect(optimizerOn.step).toBe(STEPS);
      expect(optimizerOff.step).toBe(STEPS);
      const stateOn = optimizerOn.exportState();
      const stateOff = optimizerOff.exportState();
      for (const [i, name] of names.entries()) {
        const ref = adamW64(
          initial[i]!,
          grads.map((g) => g[i]!),
          lr,
          weightDecay,
        );
        const read = async (t: tf.Tensor) => (await t.data()) as Float32Array;
        const pairs: [string, tf.Tensor, tf.Tensor, Float64Array][] = [
          ['param', paramsOn.get(name)!, paramsOff.get(name)!, ref.p],
          ['m', stateOn.m.get(name)!, stateOff.m.get(name)!, ref.m],
          ['v', stateOn.v.get(name)!, stateOff.v.get(name)!, ref.v],
        ];
        for (const [what, on, off, f64] of pairs) {
          expect(on.shape).toEqual(SHAPES[name]);
          const [a, b] = [await read(on), await read(off)];
          expect(relativeError(a, b), `${name} ${what}: native vs composition`).toBeLessThanOrEqual(
            ADAMW_TOLERANCE,
          );
          expect(relativeError(a, f64), `${name} ${what}: native vs float64`).toBeLessThanOrEqual(
            ADAMW_TOLERANCE,
          );
        }
      }
    } finally {
      optimizerOn.dispose();
      optimizerOff.dispose();
      tf.dispose([...paramsOn.values(), ...paramsOff.values()]);
      leaked = tf.memory().numTensors - before;
      tensorsBefore += leaked; // checked below, not by afterEach
    }
    expect(leaked, 'tensors left after dispose').toBe(0);
  });

  // Regression (found by this test before the fix).
  it.each([true, false])(
    'AdamW.dispose() frees everything apply() made (native %s)',
    async (native) => {
      const p = tf.tidy(() => tf.variable(tf.tensor1d(floats(1031, 120))));
      const g = tf.tensor1d(floats(1031, 121));
      const before = tf.memory().numTensors;
      const optimizer = new AdamW({ lr: 1e-3 });
      const apply = async () => {
        for (let i = 0; i < 2; i++) optimizer.apply(new Map([['p', p]]), new Map([['p', g]]));
      };
      if (native) await apply();
      else await nativeOff(apply);
      optimizer.dispose();
      const leaked = tf.memory().numTensors - before;
      tf.dispose([p, g]);
      tensorsBefore += leaked; // reported here, not again by afterEach
      expect(leaked, 'tensors left by apply() after dispose()').toBe(0);
    },
  );
});

describe('SplitV, Concat, Slice and GatherV2 as native copies, bit-identical to cpu', () => {
  const data = (shape: number[], seed: number): Float32Array => floats(size(shape), seed, 10);
  const ints = (shape: number[], seed: number): Int32Array =>
    Int32Array.from(floats(size(shape), seed, 1e6), (u) => Math.round(u));

  /** Runs `f` on wasm+native (counted) and cpu; expects identical outputs; returns the counter. */
  async function againstCpu(
    f: () => tf.Tensor | tf.Tensor[],
    what: string,
  ): Promise<(name: string) => number> {
    const [native, count] = await counting(() => evaluate(f));
    expectIdentical(native, await onCpu(f), what);
    return count;
  }

  // [shape, sizes (or a count of equal parts), axis]
  const SPLITS: [number[], number[] | number, number][] = [
    [[13, 1031], [5, 0, 8], 0],
    [[13, 1031], [500, 0, 531], 1],
    [[13, 1031], [1, 1029, 1], -1],
    [[6, 17, 65], [1, 0, 5], 0],
    [[6, 17, 65], [10, -1], 1],
    [[6, 17, 65], [30, 0, 35], 2],
    [[6, 17, 192], 3, -1],
    [[2, 3, 5, 33], [1, 1], 0],
    [[2, 3, 5, 33], [2, 0, 1], 1],
    [[2, 3, 5, 33], [4, 1], 2],
    [[2, 3, 5, 33], [16, 0, 17], 3],
  ];
  it.each(SPLITS)('split %j into %j along axis %i', async (shape, sizes, axis) => {
    const x = data(shape, 300);
    const count = await againstCpu(() => tf.split(tf.tensor(x, shape), sizes, axis), 'split');
    expect(count('copyBlocks'), 'ran as native copies').toBeGreaterThan(0);
  });

  // [shapes of the 3 parts, axis]
  const CONCATS: [number[][], number][] = [
    [
      [
        [5, 1031],
        [0, 1031],
        [8, 1031],
      ],
      0,
    ],
    [
      [
        [13, 500],
        [13, 0],
        [13, 531],
      ],
      1,
    ],
    [
      [
        [13, 1],
        [13, 1029],
        [13, 1],
      ],
      -1,
    ],
    [
      [
        [1, 17, 65],
        [0, 17, 65],
        [5, 17, 65],
      ],
      0,
    ],
    [
      [
        [6, 10, 65],
        [6, 0, 65],
        [6, 7, 65],
      ],
      1,
    ],
    [
      [
        [6, 17, 30],
        [6, 17, 35],
        [6, 17, 0],
      ],
      2,
    ],
    [
      [
        [1, 3, 5, 33],
        [0, 3, 5, 33],
        [1, 3, 5, 33],
      ],
      0,
    ],
    [
      [
        [2, 2, 5, 33],
        [2, 0, 5, 33],
        [2, 1, 5, 33],
      ],
      1,
    ],
    [
      [
        [2, 3, 4, 33],
        [2, 3, 1, 33],
        [2, 3, 0, 33],
      ],
      2,
    ],
    [
      [
        [2, 3, 5, 16],
        [2, 3, 5, 0],
        [2, 3, 5, 17],
      ],
      -1,
    ],
  ];
  it.each(CONCATS)('concat %j along axis %i', async (shapes, axis) => {
    const parts = shapes.map((shape, i) => data(shape, 310 + i));
    const count = await againstCpu(
      () =>
        tf.concat(
          parts.map((p, i) => tf.tensor(p, shapes[i])),
          axis,
        ),
      'concat',
    );
    expect(count('copyBlocks'), 'ran as native copies').toBeGreaterThan(0);
  });

  it('split and concat of int32 and bool fall back to the stock kernels, still right', async () => {
    const shape = [6, 17, 65];
    const [x, y] = [ints(shape, 320), ints([6, 17, 3], 321)];
    const count = await againstCpu(() => {
      const i32 = tf.tensor(x, shape, 'int32');
      const bool = i32.greater(0);
      return [
        ...tf.split(i32, [10, 0, 7], 1),
        ...tf.split(bool, [1, 5], 0),
        tf.concat([i32, tf.tensor(y, [6, 17, 3], 'int32')], 2),
        tf.concat([bool, bool], 1),
      ];
    }, 'int32/bool split and concat');
    expect(count('copyBlocks')).toBe(0);
  });

  // [shape, begin, size]: every axis sliced somewhere, size −1, 1-element slices.
  const BIG = [64, 128, 33];
  const SLICES: [number[], number[], number[]][] = [
    [[4099], [17], [2000]],
    [[4099], [4098], [-1]],
    [
      [13, 1031],
      [3, 0],
      [5, -1],
    ],
    [
      [13, 1031],
      [0, 17],
      [-1, 1000],
    ],
    [
      [13, 1031],
      [12, 1030],
      [1, 1],
    ],
    [BIG, [0, 0, 0], [1, 1, 1]],
    [BIG, [63, 127, 32], [1, 1, 1]],
    [BIG, [31, 64, 16], [1, 1, 1]],
    [BIG, [5, 0, 0], [7, -1, -1]],
    [BIG, [0, 9, 0], [-1, 100, -1]],
    [BIG, [0, 0, 3], [-1, -1, 29]],
    [BIG, [2, 3, 4], [60, 120, 28]],
    [BIG, [1, 0, 0], [62, 128, -1]],
    [BIG, [0, 0, 0], [-1, -1, -1]],
    [BIG, [10, 20, 0], [0, 5, 33]],
    [
      [2, 3, 5, 33],
      [1, 1, 1, 1],
      [1, 2, 3, 31],
    ],
    [
      [2, 3, 5, 33],
      [0, 2, 0, 0],
      [-1, 1, -1, -1],
    ],
    [
      [2, 3, 5, 33],
      [0, 0, 4, 5],
      [2, 3, 1, 1],
    ],
  ];
  it.each(SLICES)('slice %j at %j of size %j, float32 and int32', async (shape, begin, sz) => {
    const [xf, xi] = [data(shape, 330), ints(shape, 331)];
    const count = await againstCpu(
      () => [
        tf.slice(tf.tensor(xf, shape), begin, sz),
        tf.slice(tf.tensor(xi, shape, 'int32'), begin, sz),
      ],
      'slice',
    );
    const empty = sz.includes(0);
    expect(count('copyBlocks') > 0, 'ran as native copies').toBe(!empty);
  });

  it('slice of bool falls back to the stock kernel, still right', async () => {
    const x = data(BIG, 340);
    const count = await againstCpu(
      () => tf.slice(tf.tensor(x, BIG).greater(0), [3, 5, 7], [20, -1, 1]),
      'bool slice',
    );
    expect(count('copyBlocks')).toBe(0);
  });

  const TABLE = [50, 33];
  it.each([
    ['1-D', [7], [3, 3, 0, 49, 17, 3, 49]],
    ['2-D', [3, 4], [1, 1, 1, 1, 0, 49, 25, 25, 2, 48, 0, 0]],
    ['empty', [0], []],
  ] as [string, number[], number[]][])('gather rows, %s indices %j', async (_n, shape, idx) => {
    const table = data(TABLE, 350);
    const count = await againstCpu(
      () => [
        tf.gather(tf.tensor(table, TABLE), tf.tensor(idx, shape, 'int32')),
        tf.gather(tf.tensor(table, TABLE), tf.tensor(idx, shape, 'int32'), -2),
      ],
      'gather',
    );
    expect(count('gatherRows'), 'ran natively').toBe(idx.length > 0 ? 2 : 0);
  });

  it.each([-1, 50])('gather of row %i throws, naming the index, and leaks nothing', async (bad) => {
    const table = tf.tensor(data(TABLE, 360), TABLE);
    const indices = tf.tensor1d([4, 7, bad, 1], 'int32');
    const before = tf.memory().numTensors;
    const [, count] = await counting(async () => {
      let error: unknown;
      try {
        tf.gather(table, indices);
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(Error);
      expect((error as Error).message).toMatch(new RegExp(`index ${bad}(?!\\d)`));
      expect(tf.memory().numTensors).toBe(before);
    });
    expect(count('gatherRows')).toBe(1);
    tf.dispose([table, indices]);
  });

  it('gathers on axis 1, and of int32 and bool tables, fall back to the stock kernels', async () => {
    const table = data(TABLE, 370);
    const count = await againstCpu(() => {
      const t = tf.tensor(table, TABLE);
      const idx = tf.tensor2d([0, 32, 5, 5, 7, 1], [2, 3], 'int32');
      return [
        tf.gather(t, idx, 1),
        tf.gather(t.reshape([5, 10, 33]), idx.flatten(), 2),
        tf.gather(t.toInt(), tf.tensor1d([49, 0, 49], 'int32')),
        tf.gather(t.greater(0), tf.tensor1d([3, 2, 1], 'int32')),
      ];
    }, 'fallback gathers');
    expect(count('gatherRows')).toBe(0);
  });
});

describe('tf.cast to the same dtype', () => {
  it.each(['float32', 'int32', 'bool'] as const)(
    '%s: shares the buffer, keeps its values after the input is disposed',
    async (dtype) => {
      const values = Array.from(floats(1031, 400, 100), (u) =>
        dtype === 'float32' ? u : dtype === 'int32' ? Math.round(u) || 0 : u > 0 ? 1 : 0,
      );
      const x = tf.tensor1d(values, dtype);
      const y = tf.cast(x, dtype);
      expect(y.dataId, 'shares the input buffer').toBe(x.dataId);
      expect(y.dtype).toBe(dtype);
      x.dispose();
      expect(Array.from(await y.data())).toEqual(values.map((v) => Math.fround(v)));
      y.dispose();
    },
  );

  it('to another dtype still converts (against cpu)', async () => {
    const values = floats(1031, 410, 100);
    values.set([0, -0.5, 0.5, 2.7, -2.7, 1e-30, 255, 256]);
    const f = () => {
      const x = tf.tensor1d(values);
      const i = tf.cast(x, 'int32');
      const b = i.greater(0);
      return [i, tf.cast(i, 'float32'), tf.cast(b, 'float32'), tf.cast(b, 'int32')];
    };
    const [native, count] = await counting(() => evaluate(f));
    expectIdentical(native, await onCpu(f), 'casts');
    expect(Array.from(native[0]!.values.subarray(0, 8))).toEqual([0, 0, 0, 2, -2, 0, 255, 256]);
    expect(native[0]!.dtype).toBe('int32');
    expect(native[1]!.dtype).toBe('float32');
    expect(count('copyBlocks')).toBe(0);
  });

  // Regression (found by this test before the fix).
  it('cast of float32 and int32 to bool gives 0 or 1 as on cpu', async () => {
    const values = Float32Array.from([0, -0.5, 0.5, 2.7, -2.7, 1e-30, 255, 256, -0]);
    const f = () => {
      const x = tf.tensor1d(values);
      return [tf.cast(x, 'bool'), tf.cast(tf.cast(x, 'int32'), 'bool')];
    };
    const native = await evaluate(f);
    expectIdentical(native, await onCpu(f), 'casts to bool');
  });
});

describe('a GPT-2 (2 layers, hidden 64, 4 heads, vocab 257, 32 positions)', () => {
  it('GradDiff loss and the gradient of every parameter: native vs composition ≤ 1e-4', async () => {
    const spec = benchSpec({ layers: 2, embd: 64, heads: 4, vocab: 257, seq: 32, batch: 2 });
    const model = createRandomModel(spec, 7);
    const ids = (seed: number) =>
      Int32Array.from(floats(2 * 32, seed), (u) => Math.floor(((u + 1) / 2) * 257));
    const [retain, forget] = [ids(500), ids(501)];
    const maskValues = Float32Array.from({ length: 64 }, (_, i) => (i % 32 < 27 ? 1 : 0));
    const params = [...model.params.values()];
    const loss = () => {
      const r = tf.tensor2d(retain, [2, 32], 'int32');
      const f = tf.tensor2d(forget, [2, 32], 'int32');
      const mask = tf.tensor2d(maskValues, [2, 32]);
      const { value, grads } = tf.variableGrads(
        () => tf.sub(model.nll(r, mask), model.nll(f)) as tf.Scalar,
        params,
      );
      return [model.nll(r, mask), model.nll(f), value, ...params.map((p) => grads[p.name]!)];
    };
    try {
      // The model caches its causal mask (a kept tensor) on the first call: made here.
      tf.tidy(() => void model.nll(tf.tensor2d(retain, [2, 32], 'int32')));
      const { on, off, count } = await onAndOff(loss);
      for (const name of [
        'gemm',
        'layerNorm',
        'layerNormGrad',
        'unary:2',
        'geluGrad',
        'maskedSoftmax',
        'softmaxGrad',
        'xentForward',
        'xentBackward',
        'gatherRows',
        'copyBlocks',
      ]) {
        expect(count(name), `${name} ran natively`).toBeGreaterThan(0);
      }
      expect(on.length).toBe(params.length + 3);
      const scalar = (i: number): [number, number] => [on[i]!.values[0]!, off[i]!.values[0]!];
      const [retainNll, forgetNll, value] = [scalar(0), scalar(1), scalar(2)];
      const relative = ([a, b]: [number, number]) => Math.abs(a - b) / Math.abs(b);
      expect(relative(retainNll), 'NLL(retain, masked)').toBeLessThanOrEqual(MODEL_TOLERANCE);
      expect(relative(forgetNll), 'NLL(forget)').toBeLessThanOrEqual(MODEL_TOLERANCE);
      // The GradDiff loss is a difference of two near-equal NLLs: measured on their scale.
      const scale = Math.abs(retainNll[1]) + Math.abs(forgetNll[1]);
      expect(Math.abs(value[0] - value[1]) / scale, 'loss').toBeLessThanOrEqual(MODEL_TOLERANCE);
      params.forEach((p, i) => {
        const [got, ref] = [on[i + 3]!.values, off[i + 3]!.values];
        const errors = relativeErrors(got, ref);
        expect(errors.norm, `d loss / d ${p.name}, norm-relative`).toBeLessThanOrEqual(
          MODEL_TOLERANCE,
        );
        // As the golden tests: also per element, against |ref| + rms(ref).
        expect(errors.element, `d loss / d ${p.name}, per element`).toBeLessThanOrEqual(
          MODEL_TOLERANCE,
        );
        expect(
          got.some((v) => v !== 0),
          `${p.name} has a gradient`,
        ).toBe(true);
      });
    } finally {
      model.dispose();
    }
  });
});
