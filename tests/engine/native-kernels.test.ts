/**
 * The wasm backend's kernels with a native path (native/*.c through src/worker/engine/native),
 * through tfjs, against the cpu backend and float64 references in plain JS: BatchMatMul and
 * _FusedMatMul (every transpose, batch and broadcast layout, k = 0, empty outputs, gradients),
 * Exp and Tanh (special values, accuracy), Sum (adjacent axes natively, everything else through
 * the stock kernel) and Identity (shares the input's buffer). Tolerance for products and sums:
 * max |got − ref| / max |ref| ≤ 1e-5.
 *
 * The addon is required: without it (not built, or no BLAS) every test here fails; build it with
 * `node scripts/build-native.mjs`. The active addon is wrapped in a counter, so each test also
 * checks that the native function did run (or, for the fallbacks, that it did not).
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import type { NativeAddon } from '../../src/worker/engine/native/addon.ts';
import { useNativeKernels } from '../../src/worker/engine/wasm-kernels/index.ts';
import { nativeAddon } from '../../src/worker/engine/wasm-kernels/native-active.ts';
import type { WasmBackend } from '../../src/worker/engine/wasm-kernels/routing.ts';
import { floats } from './compare.ts';
import { relativeError } from '../helpers/relative-error.ts';
import { countNativeCalls } from '../helpers/native-addon.ts';

const TOLERANCE = 1e-5;
const TRANSPOSES = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
] as const;

type Values = Float32Array | Int32Array | Uint8Array;
interface Data {
  values: Values;
  shape: number[];
  dtype?: 'float32' | 'int32';
}

const size = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);
const data = (shape: number[], seed: number, scale = 1): Data => ({
  values: floats(size(shape), seed, scale),
  shape,
});

/** Calls of the native functions the kernels made (the active addon is wrapped to count). */
let calls = new Map<string, number>();
let realAddon: NativeAddon;
/** Why the addon is not active, or null; every test fails with it (a failed beforeAll would skip them). */
let missing: string | null = null;

beforeAll(async () => {
  await selectBackend('wasm');
  const counted = countNativeCalls();
  if (typeof counted === 'string') {
    missing = counted;
    return;
  }
  ({ real: realAddon, calls } = counted);
  useNativeKernels(counted.counting);
});

afterAll(() => {
  if (realAddon) useNativeKernels(realAddon);
});

let tensorsBefore = 0;
beforeEach(async () => {
  if (missing !== null) throw new Error(missing);
  await tf.setBackend('wasm');
  tensorsBefore = tf.memory().numTensors;
});
afterEach(() => {
  expect(tf.memory().numTensors, 'tensors leaked by the test').toBe(tensorsBefore);
  expect(tf.getBackend()).toBe('wasm');
});

const wasmBackend = (): WasmBackend => tf.engine().findBackend('wasm') as unknown as WasmBackend;

/** Runs `f` in a tidy on `backend` over fresh tensors of `inputs`; returns values and shapes. */
async function run(
  backend: 'cpu' | 'wasm',
  inputs: Data[],
  f: (...xs: tf.Tensor[]) => tf.Tensor[],
): Promise<{ values: Values; shape: number[]; dtype: string }[]> {
  await tf.setBackend(backend);
  try {
    const before = tf.memory().numTensors;
    const outs = tf.tidy(() => f(...inputs.map((x) => tf.tensor(x.values, x.shape, x.dtype))));
    const result = await Promise.all(
      outs.map(async (t) => ({ values: await t.data(), shape: t.shape, dtype: t.dtype })),
    );
    tf.dispose(outs);
    expect(tf.memory().numTensors, `tensors leaked on ${backend}`).toBe(before);
    return result;
  } finally {
    await tf.setBackend('wasm');
  }
}

/** Runs `f` on cpu and wasm and expects the same shapes, dtypes and values (within TOLERANCE). */
async function expectMatchesCpu(
  inputs: Data[],
  f: (...xs: tf.Tensor[]) => tf.Tensor[],
): Promise<{ values: Values; shape: number[] }[]> {
  const ref = await run('cpu', inputs, f);
  const got = await run('wasm', inputs, f);
  expect(got.length).toBe(ref.length);
  got.forEach((g, i) => {
    expect(g.shape, `output ${i} shape`).toEqual(ref[i]!.shape);
    expect(g.dtype, `output ${i} dtype`).toBe(ref[i]!.dtype);
    expect(relativeError(g.values, ref[i]!.values), `output ${i}`).toBeLessThanOrEqual(TOLERANCE);
  });
  return got;
}

/** Runs `body` and returns how many times each native function was called meanwhile. */
async function counting(
  body: () => Promise<void> | void,
): Promise<{ gemm: number; unary: number; sum: number }> {
  const count = (name: string): number => calls.get(name) ?? 0;
  const before = { gemm: count('gemm'), unary: count('unary'), sum: count('sum') };
  await body();
  return {
    gemm: count('gemm') - before.gemm,
    unary: count('unary') - before.unary,
    sum: count('sum') - before.sum,
  };
}

/** Allocates and frees a NaN-filled buffer of `n` floats, so a kernel that leaves its output unset shows it. */
function dirtyHeap(n: number): void {
  tf.fill([Math.max(n, 1)], NaN).dispose();
}

/** float64 matMul with numpy broadcasting of the batch dims. */
function referenceMatMul(
  a: Data,
  b: Data,
  transposeA: boolean,
  transposeB: boolean,
): Data & { values: Float32Array } {
  const [a0, a1] = a.shape.slice(-2) as [number, number];
  const [b0, b1] = b.shape.slice(-2) as [number, number];
  const [m, k] = transposeA ? [a1, a0] : [a0, a1];
  const n = transposeB ? b0 : b1;
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const rank = Math.max(aBatch.length, bBatch.length);
  const pad = (s: number[]): number[] => [...new Array<number>(rank - s.length).fill(1), ...s];
  const [pa, pb] = [pad(aBatch), pad(bBatch)];
  const outBatch = pa.map((d, i) => (d === 1 ? pb[i]! : d));
  const out = new Float64Array(size(outBatch) * m * n);
  for (let o = 0; o < size(outBatch); o++) {
    // Flat batch index of a and b for output batch entry o.
    let rest = o;
    let ai = 0;
    let bi = 0;
    let aStride = 1;
    let bStride = 1;
    for (let d = rank - 1; d >= 0; d--) {
      const idx = rest % outBatch[d]!;
      rest = Math.floor(rest / outBatch[d]!);
      if (pa[d] !== 1) ai += idx * aStride;
      if (pb[d] !== 1) bi += idx * bStride;
      aStride *= pa[d]!;
      bStride *= pb[d]!;
    }
    const A = (i: number, p: number): number =>
      a.values[ai * m * k + (transposeA ? p * m + i : i * k + p)]!;
    const B = (p: number, j: number): number =>
      b.values[bi * k * n + (transposeB ? j * k + p : p * n + j)]!;
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let s = 0;
        for (let p = 0; p < k; p++) s += A(i, p) * B(p, j);
        out[(o * m + i) * n + j] = s;
      }
    }
  }
  return { values: Float32Array.from(out), shape: [...outBatch, m, n] };
}

/** float64 sum of x over `axes`, tf.sum's output shape. */
function referenceSum(
  x: Data,
  axes: number[],
  keepDims: boolean,
): { values: Float64Array; shape: number[] } {
  const rank = x.shape.length;
  const reduced = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
  const outShape = x.shape.map((d, i) => (reduced.has(i) ? 1 : d));
  const out = new Float64Array(size(outShape));
  const index = new Array<number>(rank).fill(0);
  for (let flat = 0; flat < x.values.length; flat++) {
    let rest = flat;
    for (let d = rank - 1; d >= 0; d--) {
      index[d] = rest % x.shape[d]!;
      rest = Math.floor(rest / x.shape[d]!);
    }
    let o = 0;
    for (let d = 0; d < rank; d++) o = o * outShape[d]! + (reduced.has(d) ? 0 : index[d]!);
    out[o]! += x.values[flat]!;
  }
  return { values: out, shape: keepDims ? outShape : x.shape.filter((_, i) => !reduced.has(i)) };
}

const operand = (batch: number[], outer: number, inner: number, transposed: boolean): number[] =>
  transposed ? [...batch, inner, outer] : [...batch, outer, inner];

/** Checks tf.matMul on wasm against the float64 reference (and cpu when `cpu`), natively. */
async function checkMatMul(
  aBatch: number[],
  bBatch: number[],
  [m, k, n]: [number, number, number],
  [transposeA, transposeB]: readonly [boolean, boolean],
  cpu: boolean,
  seed: number,
): Promise<void> {
  const a = data(operand(aBatch, m, k, transposeA), seed);
  const b = data(operand(bBatch, k, n, transposeB), seed + 1);
  const ref = referenceMatMul(a, b, transposeA, transposeB);
  dirtyHeap(size(ref.shape)); // the output's memory may hold NaN: gemm must not read it (beta 0)
  const f = (x: tf.Tensor, y: tf.Tensor) => [tf.matMul(x, y, transposeA, transposeB)];
  const count = await counting(async () => {
    const [got] = cpu ? await expectMatchesCpu([a, b], f) : await run('wasm', [a, b], f);
    expect(got!.shape).toEqual(ref.shape);
    expect(relativeError(got!.values, ref.values)).toBeLessThanOrEqual(TOLERANCE);
  });
  expect(count.gemm, 'BatchMatMul ran on the native gemm').toBeGreaterThan(0);
}

describe('the native addon', () => {
  it('is active on wasm after selectBackend("wasm")', () => {
    expect(missing).toBeNull();
    expect(nativeAddon()).not.toBeNull();
    expect(typeof realAddon.gemm).toBe('function');
    expect(tf.getBackend()).toBe('wasm');
  });
});

// First, while the wasm heap is still small: outputs that make it grow (and replace HEAPU8).
describe('kernels whose output allocation grows the wasm heap', () => {
  it('matMul writes into the grown heap', async () => {
    const wasm = wasmBackend().wasm;
    const n = 1027;
    const m = Math.ceil(wasm.HEAPU8.byteLength / 4 / n) + 3; // the output alone outgrows the heap
    const a = floats(m, 1);
    const b = floats(n, 2);
    const count = await counting(async () => {
      const [x, y] = [tf.tensor2d(a, [m, 1]), tf.tensor2d(b, [1, n])];
      const heapBefore = wasm.HEAPU8.buffer;
      const out = tf.matMul(x, y);
      expect(wasm.HEAPU8.buffer, 'the heap grew').not.toBe(heapBefore);
      const got = await out.data();
      tf.dispose([x, y, out]);
      expect(got.length).toBe(m * n);
      let bad = 0;
      for (let i = 0; i < m; i++) {
        for (let j = 0; j < n; j++) if (got[i * n + j] !== Math.fround(a[i]! * b[j]!)) bad++;
      }
      expect(bad, 'entries that differ from a[i]·b[j]').toBe(0);
    });
    expect(count.gemm).toBe(1);
  });

  it.each(['exp', 'sum'] as const)('%s writes into the grown heap', async (op) => {
    const wasm = wasmBackend().wasm;
    const n = wasm.HEAPU8.byteLength / 4 + 1027; // x alone outgrows the heap, then the output
    const values = floats(n, 3, 10);
    const count = await counting(async () => {
      const x = tf.tensor2d(values, [n, 1]);
      const heapBefore = wasm.HEAPU8.buffer;
      const out = op === 'exp' ? tf.exp(x) : tf.sum(x, 1);
      expect(wasm.HEAPU8.buffer, 'the heap grew').not.toBe(heapBefore);
      const got = await out.data();
      tf.dispose([x, out]);
      expect(got.length).toBe(n);
      let worst = 0;
      for (let i = 0; i < n; i++) {
        const ref = op === 'exp' ? Math.fround(Math.exp(values[i]!)) : values[i]!;
        worst = Math.max(worst, got[i] === ref ? 0 : Math.abs(got[i]! - ref) / Math.abs(ref));
      }
      expect(worst).toBeLessThanOrEqual(op === 'exp' ? 2e-7 : 0);
    });
    expect(op === 'exp' ? count.unary : count.sum).toBe(1);
  });
});

describe('matMul on the native gemm', () => {
  it.each(TRANSPOSES)('2-D (67, 129)·(129, 1027), transposeA %s, transposeB %s', async (tA, tB) => {
    await checkMatMul([], [], [67, 129, 1027], [tA, tB], true, 10);
  });

  it.each(TRANSPOSES)('3-D batch (3, 17, 33)·(3, 33, 1027), transposes %s %s', async (tA, tB) => {
    await checkMatMul([3], [3], [17, 33, 1027], [tA, tB], true, 20);
  });

  it.each(TRANSPOSES)(
    '4-D batch (2, 3, 9, 31)·(2, 3, 31, 130), transposes %s %s',
    async (tA, tB) => {
      await checkMatMul([2, 3], [2, 3], [9, 31, 130], [tA, tB], true, 30);
    },
  );

  // tfjs's cpu kernel indexes batches by `i % batch`, wrong when both sides broadcast: float64 only.
  it.each(TRANSPOSES)('broadcast (2, 1, …)·(1, 3, …), transposes %s %s', async (tA, tB) => {
    await checkMatMul([2, 1], [1, 3], [7, 19, 1027], [tA, tB], false, 40);
  });

  it.each(TRANSPOSES)('broadcast (3, …)·(2, 1, …), transposes %s %s', async (tA, tB) => {
    await checkMatMul([3], [2, 1], [5, 11, 131], [tA, tB], false, 45);
  });

  it.each(TRANSPOSES)(
    'b without batch: (4, 13, 29)·(29, 1027), transposes %s %s',
    async (tA, tB) => {
      await checkMatMul([4], [], [13, 29, 1027], [tA, tB], true, 50);
    },
  );

  it.each(TRANSPOSES)(
    'b with batch dims of 1: (2, 3, …)·(1, 1, …), transposes %s %s',
    async (tA, tB) => {
      await checkMatMul([2, 3], [1, 1], [5, 17, 131], [tA, tB], true, 55);
    },
  );

  it.each(TRANSPOSES)(
    'a without batch: (13, 29)·(4, 29, 1027), transposes %s %s',
    async (tA, tB) => {
      await checkMatMul([], [4], [13, 29, 1027], [tA, tB], true, 60);
    },
  );

  it.each([
    [[], [], [3, 0, 1027]],
    [[2], [2], [4, 0, 5]],
    [
      [2, 1],
      [1, 3],
      [4, 0, 5],
    ],
    [[3], [], [6, 0, 7]],
  ] as [number[], number[], [number, number, number]][])(
    'k = 0 gives zeros: batch %j·%j, (m, k, n) %j',
    async (aBatch, bBatch, [m, k, n]) => {
      for (const [tA, tB] of TRANSPOSES) {
        const a = data(operand(aBatch, m, k, tA), 70);
        const b = data(operand(bBatch, k, n, tB), 71);
        const outShape = referenceMatMul(a, b, tA, tB).shape;
        dirtyHeap(size(outShape));
        const [got] = await run('wasm', [a, b], (x, y) => [tf.matMul(x, y, tA, tB)]);
        expect(got!.shape).toEqual(outShape);
        expect(got!.values.length).toBe(size(outShape));
        expect(
          Array.from(got!.values).every((v) => v === 0),
          `(${tA}, ${tB}) all zero`,
        ).toBe(true);
      }
    },
  );

  // tfjs's cpu kernel sizes its output by max(batch of a, batch of b), wrong when one batch is
  // 0 and the other absent: those two are checked against the reference shape only.
  it.each([
    [[0, 5], [5, 4], true],
    [[3, 5], [5, 0], true],
    [[0, 3, 5], [0, 5, 2], true],
    [[2, 0, 5], [2, 5, 6], true],
    [[0, 3, 5], [5, 2], false],
    [[4, 5], [0, 5, 6], false],
  ] as [number[], number[], boolean][])('empty output: %j·%j', async (aShape, bShape, cpu) => {
    const inputs = [data(aShape, 80), data(bShape, 81)];
    const ref = referenceMatMul(inputs[0]!, inputs[1]!, false, false);
    expect(size(ref.shape)).toBe(0);
    const f = (x: tf.Tensor, y: tf.Tensor) => [tf.matMul(x, y)];
    const [got] = cpu ? await expectMatchesCpu(inputs, f) : await run('wasm', inputs, f);
    expect(got!.shape).toEqual(ref.shape);
    expect(got!.values.length).toBe(0);
  });
});

describe('matMul gradients on the native kernels', () => {
  const layouts: [string, number[], number[], [number, number, number], boolean, boolean][] = [
    ['2-D', [], [], [13, 29, 1027], false, false],
    ['2-D, a transposed', [], [], [13, 29, 1027], true, false],
    ['2-D, b transposed', [], [], [13, 29, 1027], false, true],
    ['2-D, both transposed', [], [], [13, 29, 1027], true, true],
    ['3-D batch, b transposed', [3], [3], [7, 19, 130], false, true],
    ['4-D batch, a transposed', [2, 3], [2, 3], [7, 19, 130], true, false],
  ];
  // tfjs-core's BatchMatMul gradient does not sum over broadcast batch dims (on any backend:
  // "The gradient of input 'b' has shape '4,19,130'"), so a dense layer over (B, T, C) is
  // written as the models write it: reshaped to 2-D. Its weight gradient is aᵀ·dy over B·T rows.
  it.each(layouts)('%s', async (_name, aBatch, bBatch, [m, k, n], tA, tB) => {
    const a = data(operand(aBatch, m, k, tA), 90);
    const b = data(operand(bBatch, k, n, tB), 91);
    const outShape = referenceMatMul(a, b, tA, tB).shape;
    const w = data(outShape, 92);
    const count = await counting(() =>
      expectMatchesCpu([a, b, w], (x, y, weights) => {
        const loss = (p: tf.Tensor, q: tf.Tensor) => tf.matMul(p, q, tA, tB).mul(weights).sum();
        return tf.grads(loss)([x, y]);
      }).then(() => undefined),
    );
    expect(count.gemm).toBeGreaterThanOrEqual(3); // forward and both gradients
  });

  it('a (4, 7, 19) reshaped to 2-D times (19, 1027), and the bias gradient sum', async () => {
    const inputs = [
      data([4, 7, 19], 93),
      data([19, 1027], 94),
      data([1027], 95),
      data([4, 7, 1027], 96),
    ];
    const count = await counting(() =>
      expectMatchesCpu(inputs, (x, w, bias, weights) =>
        tf.grads((p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) =>
          tf
            .matMul(p.reshape([28, 19]), q)
            .add(r)
            .reshape([4, 7, 1027])
            .mul(weights)
            .sum(),
        )([x, w, bias]),
      ).then(() => undefined),
    );
    expect(count.gemm).toBeGreaterThanOrEqual(3);
    expect(count.sum, 'the bias gradient sums over rows natively').toBeGreaterThan(0);
  });
});

describe('tf.fused.matMul on the native kernels', () => {
  it.each(TRANSPOSES)(
    'bias (1027) and relu, (33, 65)·(65, 1027), transposes %s %s',
    async (tA, tB) => {
      const inputs = [
        data(operand([], 33, 65, tA), 100),
        data(operand([], 65, 1027, tB), 101),
        data([1027], 102),
      ];
      const count = await counting(async () => {
        const [got] = await expectMatchesCpu(inputs, (a, b, bias) => [
          tf.fused.matMul({ a, b, bias, activation: 'relu', transposeA: tA, transposeB: tB }),
        ]);
        const values = Array.from(got!.values);
        expect(values.every((v) => v >= 0)).toBe(true);
        expect(values.filter((v) => v === 0).length, 'relu clipped something').toBeGreaterThan(0);
        expect(values.filter((v) => v > 0).length, 'relu kept something').toBeGreaterThan(0);
      });
      expect(count.gemm).toBeGreaterThan(0);
    },
  );

  it('batched, a full (2, 33, 130) bias and relu', async () => {
    const inputs = [data([2, 33, 65], 110), data([2, 65, 130], 111), data([2, 33, 130], 112)];
    await expectMatchesCpu(inputs, (a, b, bias) => [
      tf.fused.matMul({ a, b, bias, activation: 'relu' }),
    ]);
  });

  it('b without batch, bias, no activation; and relu without bias', async () => {
    const inputs = [data([3, 17, 65], 120), data([65, 1027], 121), data([1027], 122)];
    await expectMatchesCpu(inputs, (a, b, bias) => [
      tf.fused.matMul({ a, b, bias }),
      tf.fused.matMul({ a, b, activation: 'relu', transposeB: false }),
    ]);
  });

  it('gradients of matMul + bias + relu', async () => {
    const inputs = [data([17, 65], 130), data([1027, 65], 131), data([1027], 132)];
    await expectMatchesCpu(inputs, (a, b, bias) =>
      tf.grads((p: tf.Tensor, q: tf.Tensor, r: tf.Tensor) =>
        tf.fused
          .matMul({ a: p, b: q, bias: r, activation: 'relu', transposeB: true })
          .square()
          .sum(),
      )([a, b, bias]),
    );
  });

  // No activation and a bias row: the bias can go into the product itself.
  it.each(TRANSPOSES)(
    'bias (1027), no activation, batched (2, 17, 65)·(2, 65, 1027), transposes %s %s',
    async (tA, tB) => {
      const inputs = [
        data(operand([2], 17, 65, tA), 140),
        data(operand([2], 65, 1027, tB), 141),
        data([1027], 142),
      ];
      const count = await counting(() =>
        expectMatchesCpu(inputs, (a, b, bias) => [
          tf.fused.matMul({ a, b, bias, transposeA: tA, transposeB: tB }),
        ]).then(() => undefined),
      );
      expect(count.gemm).toBeGreaterThan(0);
    },
  );

  it.each(TRANSPOSES)(
    'bias (1, 131), no activation, b without batch: (3, 9, 33)·(33, 131), transposes %s %s',
    async (tA, tB) => {
      const inputs = [
        data(operand([3], 9, 33, tA), 145),
        data(operand([], 33, 131, tB), 146),
        data([1, 131], 147),
      ];
      await expectMatchesCpu(inputs, (a, b, bias) => [
        tf.fused.matMul({ a, b, bias, transposeA: tA, transposeB: tB }),
      ]);
    },
  );

  it('k = 0 with a bias: every row is the bias', async () => {
    const bias = data([1027], 150);
    dirtyHeap(5 * 1027);
    const [got] = await expectMatchesCpu(
      [
        { values: new Float32Array(0), shape: [5, 0] },
        { values: new Float32Array(0), shape: [0, 1027] },
        bias,
      ],
      (a, b, r) => [tf.fused.matMul({ a, b, bias: r })],
    );
    expect(got!.shape).toEqual([5, 1027]);
    for (let row = 0; row < 5; row++) {
      expect(Array.from(got!.values.subarray(row * 1027, (row + 1) * 1027))).toEqual(
        Array.from(bias.values),
      );
    }
  });

  // Regression (found by this test before the fix).
  it('a column bias (n, 1) on an (n, n) output broadcasts down the columns', async () => {
    const inputs = [data([33, 65], 160), data([65, 33], 161), data([33, 1], 162)];
    await expectMatchesCpu(inputs, (a, b, bias) => [tf.fused.matMul({ a, b, bias })]);
  });
});

describe('exp and tanh on the native kernels', () => {
  const SPECIAL = [
    -Infinity,
    Infinity,
    NaN,
    0,
    1e-8,
    -1e-8,
    20,
    -20,
    90,
    -90,
    -100,
    -110,
    89,
    1,
    -1,
  ];
  /** SPECIAL, values around tanh's branch at |x| = 0.625, then random ones: 1027 + 1030 values. */
  function inputsFor(lo: number, hi: number): Float32Array {
    const around = [0.625, -0.625, 0.6249999, -0.6249999, 0.6250001, 0.5, -0.5, 0.75];
    const random = floats(2057 - SPECIAL.length - around.length, 5).map(
      (u) => lo + ((u + 1) / 2) * (hi - lo),
    );
    return Float32Array.from([...SPECIAL, ...around, ...random]);
  }

  /** Runs `op` on wasm over `xs`, checks the input is unchanged, returns the output. */
  async function apply(op: (x: tf.Tensor) => tf.Tensor, xs: Float32Array): Promise<Float32Array> {
    let out: Float32Array | undefined;
    const count = await counting(async () => {
      const x = tf.tensor1d(xs);
      const y = op(x);
      out = (await y.data()) as Float32Array;
      expect(await x.data(), 'the input is unchanged').toEqual(xs);
      tf.dispose([x, y]);
    });
    expect(count.unary, 'ran on the native unary').toBe(1);
    return out!;
  }

  function expectClose(got: Float32Array, xs: Float32Array, f: (x: number) => number): void {
    let worst = 0;
    let at = NaN;
    for (let i = 0; i < xs.length; i++) {
      const ref = Math.fround(f(xs[i]!));
      if (!Number.isFinite(ref) || ref === 0) {
        expect(
          Object.is(got[i], ref) || got[i] === ref,
          `f(${xs[i]}) = ${got[i]}, want ${ref}`,
        ).toBe(true);
        continue;
      }
      const err = Math.abs(got[i]! - ref) / Math.abs(ref);
      if (!(err <= worst)) [worst, at] = [err, xs[i]!];
    }
    expect(worst, `worst relative error, at x = ${at}`).toBeLessThanOrEqual(2e-7);
  }

  it('exp: special values', async () => {
    const xs = Float32Array.from(SPECIAL);
    const got = await apply(tf.exp, xs);
    const at = (x: number): number => got[SPECIAL.indexOf(x)]!;
    expect(at(-Infinity)).toBe(0);
    expect(at(-110)).toBe(0);
    expect(at(Infinity)).toBe(Infinity);
    expect(at(89)).toBe(Infinity);
    expect(Number.isNaN(got[SPECIAL.findIndex((x) => Number.isNaN(x))]!)).toBe(true);
    expect(at(0)).toBe(1);
    expectClose(got, xs, Math.exp);
  });

  // Results are normal floats from -87 up; below, subnormal results carry fewer than 24 bits.
  it('exp: 2057 values in [-87, 88] (vector loop and remainder)', async () => {
    const xs = inputsFor(-87, 88);
    expectClose(await apply(tf.exp, xs), xs, Math.exp);
  });

  // Regression (found by this test before the fix).
  it('exp just below float32 overflow stays finite', async () => {
    const xs = Float32Array.from([88.72280883789062, 88.72281646728516, 88.72283172607422]);
    expectClose(await apply(tf.exp, xs), xs, Math.exp);
  });

  it('tanh: special values', async () => {
    const xs = Float32Array.from(SPECIAL);
    const got = await apply(tf.tanh, xs);
    const at = (x: number): number => got[SPECIAL.indexOf(x)]!;
    expect(at(-Infinity)).toBe(-1);
    expect(at(Infinity)).toBe(1);
    expect(at(20)).toBe(1);
    expect(at(-100)).toBe(-1);
    expect(at(0)).toBe(0);
    expect(Number.isNaN(got[SPECIAL.findIndex((x) => Number.isNaN(x))]!)).toBe(true);
    expectClose(got, xs, Math.tanh);
  });

  it('tanh: 2057 values in [-12, 12] (vector loop and remainder)', async () => {
    const xs = inputsFor(-12, 12);
    expectClose(await apply(tf.tanh, xs), xs, Math.tanh);
  });

  it('exp and tanh of an empty tensor, and of a 2-D tensor (shape kept)', async () => {
    const [e, t] = await run('wasm', [{ values: new Float32Array(0), shape: [0, 3] }], (x) => [
      tf.exp(x),
      tf.tanh(x),
    ]);
    expect(e!.shape).toEqual([0, 3]);
    expect(t!.shape).toEqual([0, 3]);
    const x = data([7, 1027], 140, 5);
    await expectMatchesCpu([x], (v) => [tf.exp(v), tf.tanh(v)]);
  });
});

describe('sum on the native kernel', () => {
  // [name, shape, axis, keepDims, native]: native = the addon's sum runs (false: stock kernel).
  const CASES: [string, number[], number | number[] | null, boolean, boolean][] = [
    ['last axis', [37, 1027], -1, false, true],
    ['last axis, keepDims', [37, 1027], 1, true, true],
    ['first axis', [129, 1027], 0, false, true],
    ['first axis, keepDims', [1027, 37], 0, true, true],
    ['middle axis of 3-D', [3, 65, 1027], 1, false, true],
    ['middle axis of 3-D, keepDims', [5, 1027, 3], 1, true, true],
    ['two adjacent middle axes', [3, 5, 7, 131], [1, 2], false, true],
    ['two adjacent axes given negative, unsorted', [3, 5, 7, 131], [-2, 1], true, true],
    ['last two axes', [3, 5, 1027], [1, 2], false, true],
    ['first two axes, keepDims', [3, 5, 1027], [0, 1], true, true],
    ['all axes (axis null)', [7, 1027], null, false, true],
    ['all axes listed, keepDims', [3, 5, 131], [0, 1, 2], true, true],
    ['1-D', [4099], 0, false, true],
    ['non-adjacent axes (stock kernel)', [3, 5, 7, 131], [0, 2], false, false],
    ['non-adjacent axes, keepDims (stock kernel)', [3, 5, 131], [0, 2], true, false],
    ['a 0 dimension reduced', [0, 1027], 0, false, true],
    ['a 0 dimension reduced, keepDims', [3, 0, 1027], 1, true, true],
  ];

  it.each(CASES)(
    '%s: shape %j, axis %j, keepDims %s',
    async (_name, shape, axis, keepDims, native) => {
      const x = data(shape, 150);
      const axes =
        axis === null ? shape.map((_, i) => i) : typeof axis === 'number' ? [axis] : axis;
      const ref = referenceSum(x, axes, keepDims);
      dirtyHeap(size(ref.shape));
      const count = await counting(async () => {
        const [got] = await expectMatchesCpu([x], (v) => [tf.sum(v, axis ?? undefined, keepDims)]);
        expect(got!.shape).toEqual(ref.shape);
        expect(relativeError(got!.values, ref.values)).toBeLessThanOrEqual(TOLERANCE);
      });
      expect(count.sum, native ? 'ran on the native sum' : 'ran on the stock kernel').toBe(
        native ? 1 : 0,
      );
    },
  );

  it.each([
    [[0, 1027], 1, false],
    [[3, 0, 4], 2, true],
    [[0, 3], null, false],
    [[3, 0, 4], null, true],
  ] as [number[], number | null, boolean][])(
    'shape %j, axis %j, keepDims %s (0 dimension kept or summed to a scalar)',
    async (shape, axis, keepDims) => {
      const x = data(shape, 160);
      const axes = axis === null ? shape.map((_, i) => i) : [axis];
      const ref = referenceSum(x, axes, keepDims);
      dirtyHeap(size(ref.shape));
      const [got] = await expectMatchesCpu([x], (v) => [tf.sum(v, axis ?? undefined, keepDims)]);
      expect(got!.shape).toEqual(ref.shape);
      expect(Array.from(got!.values)).toEqual(Array.from(ref.values));
    },
  );

  it('int32 input: the stock kernel, exact, int32 out', async () => {
    const values = Int32Array.from(floats(37 * 1027, 170, 1000), (v) => Math.round(v));
    const x: Data = { values, shape: [37, 1027], dtype: 'int32' };
    const ref = referenceSum(x, [1], false);
    const count = await counting(async () => {
      const [got] = await expectMatchesCpu([x], (v) => [tf.sum(v, 1)]);
      expect(got!.values).toBeInstanceOf(Int32Array);
      expect(Array.from(got!.values)).toEqual(Array.from(ref.values));
    });
    expect(count.sum).toBe(0);
  });

  it('mean and the gradient of a sum over adjacent axes', async () => {
    await expectMatchesCpu([data([4, 6, 1027], 180)], (v) =>
      tf.grads((p: tf.Tensor) => tf.sum(p, [0, 1]).square().sum().add(tf.mean(p, -1).sum()))([v]),
    );
  });
});

describe('identity (tf.clone) shares the buffer', () => {
  const buffers = (): number => (wasmBackend() as unknown as { numDataIds(): number }).numDataIds();

  it.each(['float32', 'int32', 'bool'] as const)(
    '%s: equal values, one buffer, either disposed first',
    async (dtype) => {
      const round = {
        float32: (v: number) => Math.round(v * 8) / 64,
        int32: (v: number) => Math.round(v) || 0, // no -0: int32 has none
        bool: (v: number) => (v > 0 ? 1 : 0),
      }[dtype];
      const values = Array.from(floats(1027, 190, 100), round);
      for (const disposeInputFirst of [true, false]) {
        const buffersBefore = buffers();
        const x = tf.tensor1d(values, dtype);
        const y = tf.clone(x);
        expect(y.dataId, 'the clone shares the input buffer').toBe(x.dataId);
        expect(y.dtype).toBe(dtype);
        expect(y.shape).toEqual(x.shape);
        expect(buffers()).toBe(buffersBefore + 1);
        const [first, second] = disposeInputFirst ? [x, y] : [y, x];
        first.dispose();
        expect(buffers(), 'the buffer outlives the first tensor').toBe(buffersBefore + 1);
        expect(Array.from(await second.data())).toEqual(values);
        if (dtype === 'float32') {
          const e = tf.exp(second);
          const got = await e.data();
          e.dispose();
          expect(
            relativeError(
              got,
              values.map((v) => Math.fround(Math.exp(v))),
            ),
          ).toBeLessThanOrEqual(2e-7);
        }
        second.dispose();
        expect(buffers(), 'the buffer is freed with the last tensor').toBe(buffersBefore);
      }
    },
  );

  it('a clone kept out of a tidy survives it; the input disposed inside does not matter', async () => {
    const values = floats(1027, 200);
    const kept = tf.tidy(() => tf.clone(tf.tensor1d(values)));
    expect(Array.from(await kept.data())).toEqual(Array.from(values));
    kept.dispose();
  });
});
