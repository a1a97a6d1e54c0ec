/**
 * The routed wasm BatchMatMul / _FusedMatMul against the cpu backend (values and gradients), on
 * every transpose combination and batch layout tf.matMul accepts. Tolerance: max |got − ref| over
 * max |ref| ≤ 1e-5 (float32 with a different summation order).
 *
 * tfjs's own cpu and stock wasm kernels mishandle batch dims that broadcast both ways
 * ((2, 1) with (1, 3)): they index batches by `i % batch`. Those cases are checked against a
 * float64 reference with numpy broadcasting instead.
 */
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerFastBatchMatMul, unregisterFastBatchMatMul } from './batch-mat-mul.ts';

const TOLERANCE = 1e-5;
const TRANSPOSES = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
] as const;

let stockBatchMatMul: tf.KernelFunc;

beforeAll(async () => {
  await tf.setBackend('wasm');
  stockBatchMatMul = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc;
  registerFastBatchMatMul();
});

afterAll(() => unregisterFastBatchMatMul());

/** Deterministic values in [-1, 1) (mulberry32). */
function randomValues(size: number, seed: number): Float32Array {
  const out = new Float32Array(size);
  let s = seed >>> 0;
  for (let i = 0; i < size; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out[i] = ((t ^ (t >>> 14)) >>> 0) / 2 ** 31 - 1;
  }
  return out;
}

const size = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

/** The shape of an operand whose product has inner size k, outer size mn, batch dims `batch`. */
function operand(
  batch: readonly number[],
  outer: number,
  inner: number,
  transposed: boolean,
): number[] {
  return transposed ? [...batch, inner, outer] : [...batch, outer, inner];
}

function relativeError(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  expect(got.length).toBe(ref.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < ref.length; i++) {
    diff = Math.max(diff, Math.abs(got[i]! - ref[i]!));
    scale = Math.max(scale, Math.abs(ref[i]!));
  }
  return scale === 0 ? diff : diff / scale;
}

/** Runs `f` on the cpu backend over copies of `inputs`; returns the outputs' values and shapes. */
async function onCpu(
  inputs: { values: Float32Array; shape: number[] }[],
  f: (...xs: tf.Tensor[]) => tf.Tensor[],
): Promise<{ values: Float32Array; shape: number[] }[]> {
  await tf.setBackend('cpu');
  try {
    return tf
      .tidy(() => f(...inputs.map((x) => tf.tensor(x.values, x.shape))))
      .map((t) => {
        const result = { values: t.dataSync() as Float32Array, shape: t.shape };
        t.dispose();
        return result;
      });
  } finally {
    await tf.setBackend('wasm');
  }
}

function onWasm(
  inputs: { values: Float32Array; shape: number[] }[],
  f: (...xs: tf.Tensor[]) => tf.Tensor[],
): { values: Float32Array; shape: number[] }[] {
  expect(tf.getBackend()).toBe('wasm');
  return tf
    .tidy(() => f(...inputs.map((x) => tf.tensor(x.values, x.shape))))
    .map((t) => {
      const result = { values: t.dataSync() as Float32Array, shape: t.shape };
      t.dispose();
      return result;
    });
}

async function expectMatchesCpu(
  inputs: { values: Float32Array; shape: number[] }[],
  f: (...xs: tf.Tensor[]) => tf.Tensor[],
): Promise<void> {
  const ref = await onCpu(inputs, f);
  const got = onWasm(inputs, f);
  expect(got.length).toBe(ref.length);
  got.forEach((g, i) => {
    expect(g.shape).toEqual(ref[i]!.shape);
    expect(relativeError(g.values, ref[i]!.values)).toBeLessThanOrEqual(TOLERANCE);
  });
}

function inputsFor(
  aShape: number[],
  bShape: number[],
  seed: number,
): { values: Float32Array; shape: number[] }[] {
  return [
    { values: randomValues(size(aShape), seed), shape: aShape },
    { values: randomValues(size(bShape), seed + 1), shape: bShape },
  ];
}

/** float64 matMul with numpy broadcasting of the batch dims. */
function referenceMatMul(
  a: { values: Float32Array; shape: number[] },
  b: { values: Float32Array; shape: number[] },
  transposeA: boolean,
  transposeB: boolean,
): { values: Float64Array; shape: number[] } {
  const [a0, a1] = a.shape.slice(-2) as [number, number];
  const [b0, b1] = b.shape.slice(-2) as [number, number];
  const [m, k] = transposeA ? [a1, a0] : [a0, a1];
  const n = transposeB ? b0 : b1;
  const aBatch = a.shape.slice(0, -2);
  const bBatch = b.shape.slice(0, -2);
  const rank = Math.max(aBatch.length, bBatch.length);
  const pad = (s: number[]): number[] => [...new Array<number>(rank - s.length).fill(1), ...s];
  const [pa, pb] = [pad(aBatch), pad(bBatch)];
  const outBatch = pa.map((d, i) => Math.max(d, pb[i]!));
  const out = new Float64Array(size(outBatch) * m * n);
  for (let o = 0; o < size(outBatch); o++) {
    let rest = o;
    let ai = 0;
    let bi = 0;
    let aStride = 1;
    let bStride = 1;
    for (let d = rank - 1; d >= 0; d--) {
      const c = rest % outBatch[d]!;
      rest = Math.floor(rest / outBatch[d]!);
      ai += (pa[d] === 1 ? 0 : c) * aStride;
      bi += (pb[d] === 1 ? 0 : c) * bStride;
      aStride *= pa[d]!;
      bStride *= pb[d]!;
    }
    for (let i = 0; i < m; i++) {
      for (let j = 0; j < n; j++) {
        let sum = 0;
        for (let p = 0; p < k; p++) {
          const av = a.values[ai * m * k + (transposeA ? p * m + i : i * k + p)]!;
          const bv = b.values[bi * k * n + (transposeB ? j * k + p : p * n + j)]!;
          sum += av * bv;
        }
        out[o * m * n + i * n + j] = sum;
      }
    }
  }
  return { values: out, shape: [...outBatch, m, n] };
}

describe('registration', () => {
  it('replaces the stock kernel, once', () => {
    const ours = tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc;
    expect(ours).not.toBe(stockBatchMatMul);
    registerFastBatchMatMul();
    expect(tf.getKernel('BatchMatMul', 'wasm')!.kernelFunc).toBe(ours);
  });
});

describe('values against the cpu backend', () => {
  // [a batch dims, b batch dims, m, k, n]: each layout the routing distinguishes.
  const layouts: [string, number[], number[], number, number, number][] = [
    ['2-D', [], [], 13, 7, 5],
    ['2-D, m = 1', [], [], 1, 9, 6],
    ['2-D, n = 1', [], [], 6, 9, 1],
    ['2-D, k = 1', [], [], 6, 1, 4],
    ['linear layer', [], [], 64, 256, 96],
    ['batched a, 2-D b (folded into rows)', [2, 3], [], 11, 7, 5],
    ['batched a, b with batch 1', [4], [1], 11, 7, 5],
    ['2-D a, batched b', [], [4], 11, 7, 5],
    ['equal batch (attention-like)', [6], [6], 17, 8, 12],
    ['equal rank-4 batch', [2, 3], [2, 3], 9, 5, 7],
    ['b batch broadcast over a leading dim', [2, 3], [3], 9, 5, 7],
    ['attention head shape', [32], [32], 128, 32, 128],
  ];
  for (const [name, aBatch, bBatch, m, k, n] of layouts) {
    for (const [tA, tB] of TRANSPOSES) {
      it(`${name}, transposeA=${tA} transposeB=${tB}`, async () => {
        const inputs = inputsFor(
          operand(aBatch, m, k, tA),
          operand(bBatch, n, k, !tB),
          m * 31 + k + n,
        );
        await expectMatchesCpu(inputs, (a, b) => [tf.matMul(a!, b!, tA, tB)]);
      });
    }
  }

  it('k = 0 gives zeros, an empty batch gives an empty tensor', async () => {
    await expectMatchesCpu(inputsFor([5, 0], [0, 3], 1), (a, b) => [tf.matMul(a!, b!)]);
    await expectMatchesCpu(inputsFor([2, 5, 0], [2, 0, 3], 2), (a, b) => [tf.matMul(a!, b!)]);
    // The cpu backend returns one batch's worth of values here, so no comparison with it.
    for (const [aShape, bShape, tA, tB] of [
      [[0, 5, 7], [7, 3], false, false],
      [[0, 7, 5], [3, 7], true, true],
    ] as const) {
      const [got] = onWasm(inputsFor([...aShape], [...bShape], 3), (a, b) => [
        tf.matMul(a!, b!, tA, tB),
      ]);
      expect(got!.shape).toEqual([0, 5, 3]);
      expect(got!.values.length).toBe(0);
    }
  });
});

describe('batch dims that broadcast both ways, against a float64 reference', () => {
  const layouts: [number[], number[]][] = [
    [
      [2, 1],
      [1, 3],
    ],
    [
      [2, 1],
      [2, 3],
    ],
    [
      [3, 1, 2],
      [4, 1],
    ],
  ];
  for (const [aBatch, bBatch] of layouts) {
    for (const [tA, tB] of TRANSPOSES) {
      it(`a batch (${aBatch}), b batch (${bBatch}), transposeA=${tA} transposeB=${tB}`, () => {
        const [m, k, n] = [6, 5, 4];
        const [a, b] = inputsFor(operand(aBatch, m, k, tA), operand(bBatch, n, k, !tB), 7) as [
          { values: Float32Array; shape: number[] },
          { values: Float32Array; shape: number[] },
        ];
        const ref = referenceMatMul(a, b, tA, tB);
        const [got] = onWasm([a, b], (x, y) => [tf.matMul(x!, y!, tA, tB)]);
        expect(got!.shape).toEqual(ref.shape);
        expect(relativeError(got!.values, ref.values)).toBeLessThanOrEqual(TOLERANCE);
      });
    }
  }
});

describe('gradients against the cpu backend', () => {
  const layouts: [string, number[], number, number, number][] = [
    ['2-D', [], 12, 9, 7],
    ['batched', [4], 10, 8, 6],
    ['rank-4 batched', [2, 2], 5, 4, 3],
  ];
  for (const [name, batch, m, k, n] of layouts) {
    for (const [tA, tB] of TRANSPOSES) {
      it(`${name}, transposeA=${tA} transposeB=${tB}`, async () => {
        const [a, b] = inputsFor(operand(batch, m, k, tA), operand(batch, n, k, !tB), m + k + n);
        // A random upstream gradient: d/dy of sum(y · w) is w.
        const w = { values: randomValues(size([...batch, m, n]), 99), shape: [...batch, m, n] };
        await expectMatchesCpu([a!, b!, w], (x, y, z) => {
          const f = (p: tf.Tensor, q: tf.Tensor): tf.Tensor =>
            tf.matMul(p, q, tA, tB).mul(z!).sum();
          return tf.grads(f)([x!, y!]);
        });
      });
    }
  }
});

describe('_FusedMatMul', () => {
  for (const [tA, tB] of TRANSPOSES) {
    it(`bias and relu, batched a and 2-D b, transposeA=${tA} transposeB=${tB}`, async () => {
      const [m, k, n] = [9, 6, 5];
      const inputs = [
        ...inputsFor(operand([3], m, k, tA), operand([], n, k, !tB), 5),
        { values: randomValues(n, 11), shape: [n] },
      ];
      await expectMatchesCpu(inputs, (a, b, bias) => [
        tf.fused.matMul({ a: a!, b: b!, transposeA: tA, transposeB: tB, bias, activation: 'relu' }),
      ]);
    });

    it(`gradients through bias, transposeA=${tA} transposeB=${tB}`, async () => {
      const [m, k, n] = [8, 6, 4];
      const inputs = [
        ...inputsFor(operand([], m, k, tA), operand([], n, k, !tB), 21),
        { values: randomValues(n, 23), shape: [n] },
        { values: randomValues(m * n, 25), shape: [m, n] },
      ];
      await expectMatchesCpu(inputs, (a, b, bias, w) => {
        const f = (p: tf.Tensor, q: tf.Tensor, r: tf.Tensor): tf.Tensor =>
          tf.fused.matMul({ a: p, b: q, transposeA: tA, transposeB: tB, bias: r }).mul(w!).sum();
        return tf.grads(f)([a!, b!, bias!]);
      });
    });
  }
});

describe('_FusedMatMul where the stock kernel is wrong (composed)', () => {
  it('batched b, with bias and relu', async () => {
    const inputs = [
      ...inputsFor([3, 9, 6], [3, 6, 5], 31),
      { values: randomValues(5, 33), shape: [5] },
    ];
    await expectMatchesCpu(inputs, (a, b, bias) => [
      tf.fused.matMul({ a: a!, b: b!, bias, activation: 'relu' }),
    ]);
  });

  it('a bias per element, transposed b, leaky relu', async () => {
    const inputs = [
      ...inputsFor([9, 6], [5, 6], 35),
      { values: randomValues(45, 37), shape: [9, 5] },
    ];
    await expectMatchesCpu(inputs, (a, b, bias) => [
      tf.fused.matMul({
        a: a!,
        b: b!,
        transposeB: true,
        bias,
        activation: 'leakyrelu',
        leakyreluAlpha: 0.3,
      }),
    ]);
  });

  it('prelu over a batched product', async () => {
    const inputs = [
      ...inputsFor([2, 7, 4], [2, 4, 3], 39),
      { values: randomValues(3, 41), shape: [3] },
      { values: randomValues(3, 43), shape: [3] },
    ];
    await expectMatchesCpu(inputs, (a, b, bias, alpha) => [
      tf.fused.matMul({ a: a!, b: b!, bias, activation: 'prelu', preluActivationWeights: alpha }),
    ]);
  });

  it('k = 0 gives the bias', async () => {
    const inputs = [...inputsFor([4, 0], [0, 3], 45), { values: randomValues(3, 47), shape: [3] }];
    await expectMatchesCpu(inputs, (a, b, bias) => [tf.fused.matMul({ a: a!, b: b!, bias })]);
  });
});

describe('errors', () => {
  it('reports mismatched inner sizes and non-float32 inputs as the stock kernel does', () => {
    const a = tf.zeros([2, 3]);
    const b = tf.zeros([4, 5]);
    expect(() => tf.matMul(a, b)).toThrow(/inner shapes/);
    const ai = tf.zeros([2, 3], 'int32');
    const bi = tf.zeros([3, 2], 'int32');
    expect(() => tf.matMul(ai, bi)).toThrow(/float32/);
    tf.dispose([a, b, ai, bi]);
  });
});

describe('memory', () => {
  it('leaks no tensors, backend buffers or temporary wasm tensor ids', () => {
    const backend = tf.backend() as unknown as {
      numDataIds(): number;
      wasm: {
        tfjs: {
          registerTensor(id: number, ...rest: number[]): void;
          disposeData(id: number): void;
        };
      };
    };
    const run = (): void => {
      for (const [tA, tB] of TRANSPOSES) {
        tf.tidy(() => {
          const a = tf.randomNormal(operand([4], 16, 8, tA));
          const b = tf.randomNormal(operand([4], 12, 8, !tB));
          const b2 = tf.randomNormal(operand([], 12, 8, !tB));
          const bias = tf.randomNormal([12]);
          tf.matMul(a, b, tA, tB).dataSync();
          tf.matMul(a, b2, tA, tB).dataSync();
          tf.fused.matMul({ a, b: b2, transposeA: tA, transposeB: tB, bias }).dataSync();
          tf.grads((p: tf.Tensor, q: tf.Tensor) => tf.matMul(p, q, tA, tB).sum())([a, b]);
        });
      }
    };
    run(); // warm-up: first-call allocations
    const live = new Set<number>();
    const { tfjs } = backend.wasm;
    const [register, dispose] = [tfjs.registerTensor, tfjs.disposeData];
    tfjs.registerTensor = (id, ...rest) => {
      live.add(id);
      register(id, ...rest);
    };
    tfjs.disposeData = (id) => {
      live.delete(id);
      dispose(id);
    };
    const tensors = tf.memory().numTensors;
    const dataIds = backend.numDataIds();
    try {
      run();
    } finally {
      tfjs.registerTensor = register;
      tfjs.disposeData = dispose;
    }
    expect(tf.memory().numTensors).toBe(tensors);
    expect(backend.numDataIds()).toBe(dataIds);
    expect([...live]).toEqual([]);
  });
});
