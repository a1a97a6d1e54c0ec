/**
 * The native addon itself (native/*.c, src/worker/engine/native/addon.ts), called directly on
 * plain typed arrays: gemm against a float64 triple loop, unary, sum and adamw against float64
 * references in JS; every function's argument checks (a RangeError or TypeError, never a crash,
 * and nothing written); and the loader's failure paths, each in a child process since the loader
 * caches its result per process.
 *
 * The addon is required: build it with `node scripts/build-native.mjs`.
 */
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  loadNativeAddon,
  type NativeAddon,
  type NativeStatus,
} from '../../src/worker/engine/native/addon.ts';
import { floats } from './compare.ts';
import { relativeError } from '../helpers/relative-error.ts';

const execFileAsync = promisify(execFile);
const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const LOADER = pathToFileURL(join(ROOT, 'src/worker/engine/native/addon.ts')).href;

const TRANSPOSES = [
  [false, false],
  [false, true],
  [true, false],
  [true, true],
] as const;

let status: NativeStatus;
let addon: NativeAddon;
/** The addon's functions, for calls its types forbid. */
let raw: Record<string, (...args: unknown[]) => unknown>;

beforeAll(() => {
  status = loadNativeAddon(1);
});

/** Fails (does not skip) every test when the addon cannot load. */
function requireAddon(): void {
  if (!status.ok) {
    throw new Error(
      `the native addon did not load (${status.reason}); run node scripts/build-native.mjs`,
    );
  }
  addon = status.addon;
  raw = status.addon as unknown as Record<string, (...args: unknown[]) => unknown>;
}

/**
 * A Float32Array memory with regions laid out one after the other, each followed by a guard of
 * GUARD floats holding a sentinel, so a write outside a region shows.
 */
const GUARD = 16;
const SENTINEL = -12345.5;
class Heap {
  readonly f32: Float32Array;
  readonly u8: Uint8Array;
  private next = GUARD;
  constructor(floatsTotal: number) {
    this.f32 = new Float32Array(floatsTotal).fill(SENTINEL);
    this.u8 = new Uint8Array(this.f32.buffer);
  }
  /** A region of n floats, filled with `values` if given; returns its byte offset. */
  alloc(n: number, values?: ArrayLike<number>): number {
    const at = this.next;
    this.next += n + GUARD;
    if (this.next > this.f32.length) throw new Error('test heap too small');
    if (values) this.f32.set(values, at);
    return at * 4;
  }
  view(offset: number, n: number): Float32Array {
    return this.f32.subarray(offset / 4, offset / 4 + n);
  }
  /** How many guard floats (everything never allocated) no longer hold the sentinel. */
  guardsTouched(regions: [number, number][]): number {
    const inside = new Uint8Array(this.f32.length);
    for (const [offset, n] of regions) inside.fill(1, offset / 4, offset / 4 + n);
    let touched = 0;
    for (let i = 0; i < this.f32.length; i++) if (!inside[i] && this.f32[i] !== SENTINEL) touched++;
    return touched;
  }
}

/** float64 c = alpha·op(a)·op(b) + beta·c0, row-major; a stored (m, k) or, transposed, (k, m). */
function referenceGemm(
  a: Float32Array,
  b: Float32Array,
  c0: Float32Array,
  transA: boolean,
  transB: boolean,
  m: number,
  n: number,
  k: number,
  alpha: number,
  beta: number,
): Float64Array {
  const out = new Float64Array(m * n);
  for (let i = 0; i < m; i++) {
    for (let j = 0; j < n; j++) {
      let s = 0;
      for (let p = 0; p < k; p++) {
        s += a[transA ? p * m + i : i * k + p]! * b[transB ? j * k + p : p * n + j]!;
      }
      out[i * n + j] = alpha * s + (beta === 0 ? 0 : beta * c0[i * n + j]!);
    }
  }
  return out;
}

describe('the addon loads', () => {
  it('with a BLAS, on one thread; the loader caches the addon per process', () => {
    requireAddon();
    expect(status.ok).toBe(true);
    if (!status.ok) return;
    expect(status.detail).toMatch(/, 1 thread$/);
    const info = addon.open();
    expect(info.ok).toBe(true);
    expect(info.library.length).toBeGreaterThan(0);
    const again = loadNativeAddon(2);
    expect(again).toBe(status);
    expect(loadNativeAddon(1)).toBe(status);
  });
});

describe('gemm against a float64 triple loop', () => {
  it.each(TRANSPOSES)('(37, 65)·(65, 1027), transA %s, transB %s, beta 0 over NaN', (tA, tB) => {
    requireAddon();
    const [m, n, k] = [37, 1027, 65];
    const heap = new Heap(m * k + k * n + m * n + 4 * GUARD);
    const aValues = floats(m * k, 1);
    const bValues = floats(k * n, 2);
    const a = heap.alloc(m * k, aValues);
    const b = heap.alloc(k * n, bValues);
    const c = heap.alloc(m * n, new Float32Array(m * n).fill(NaN)); // beta 0: c is not read
    addon.gemm(heap.u8, tA, tB, m, n, k, Float64Array.of(a, b, c), 1, 0);
    const ref = referenceGemm(aValues, bValues, new Float32Array(m * n), tA, tB, m, n, k, 1, 0);
    expect(relativeError(heap.view(c, m * n), ref)).toBeLessThanOrEqual(1e-5);
    expect(Array.from(heap.view(a, m * k))).toEqual(Array.from(aValues));
    expect(Array.from(heap.view(b, k * n))).toEqual(Array.from(bValues));
    expect(
      heap.guardsTouched([
        [a, m * k],
        [b, k * n],
        [c, m * n],
      ]),
    ).toBe(0);
  });

  it.each(TRANSPOSES)('alpha 0.75, beta −1.5, (9, 131)·(131, 67), transposes %s %s', (tA, tB) => {
    requireAddon();
    const [m, n, k] = [9, 67, 131];
    const heap = new Heap(m * k + k * n + m * n + 4 * GUARD);
    const [aValues, bValues, cValues] = [floats(m * k, 3), floats(k * n, 4), floats(m * n, 5)];
    const a = heap.alloc(m * k, aValues);
    const b = heap.alloc(k * n, bValues);
    const c = heap.alloc(m * n, cValues);
    addon.gemm(heap.u8, tA, tB, m, n, k, Float64Array.of(a, b, c), 0.75, -1.5);
    const ref = referenceGemm(aValues, bValues, cValues, tA, tB, m, n, k, 0.75, -1.5);
    expect(relativeError(heap.view(c, m * n), ref)).toBeLessThanOrEqual(1e-5);
    expect(
      heap.guardsTouched([
        [a, m * k],
        [b, k * n],
        [c, m * n],
      ]),
    ).toBe(0);
  });

  it.each(TRANSPOSES)('four products in one call, one b shared, transposes %s %s', (tA, tB) => {
    requireAddon();
    const [m, n, k] = [5, 1027, 17];
    const heap = new Heap(4 * (m * k + m * n) + 2 * k * n + 12 * GUARD);
    const as = [0, 1, 2, 3].map((i) => floats(m * k, 10 + i));
    const bs = [0, 1].map((i) => floats(k * n, 20 + i));
    const aAt = as.map((v) => heap.alloc(m * k, v));
    const bAt = bs.map((v) => heap.alloc(k * n, v));
    const cAt = as.map(() => heap.alloc(m * n));
    const pairs = [
      [0, 0],
      [1, 1],
      [2, 0],
      [3, 0],
    ] as const;
    const offsets = Float64Array.from(
      pairs.flatMap(([ai, bi], i) => [aAt[ai]!, bAt[bi]!, cAt[i]!]),
    );
    addon.gemm(heap.f32, tA, tB, m, n, k, offsets, 1, 0);
    pairs.forEach(([ai, bi], i) => {
      const ref = referenceGemm(as[ai]!, bs[bi]!, new Float32Array(0), tA, tB, m, n, k, 1, 0);
      expect(relativeError(heap.view(cAt[i]!, m * n), ref), `product ${i}`).toBeLessThanOrEqual(
        1e-5,
      );
    });
    const regions: [number, number][] = [
      ...aAt.map((o): [number, number] => [o, m * k]),
      ...bAt.map((o): [number, number] => [o, k * n]),
      ...cAt.map((o): [number, number] => [o, m * n]),
    ];
    expect(heap.guardsTouched(regions)).toBe(0);
  });

  it.each(TRANSPOSES)(
    'a bias row (10th argument): c = alpha·op(a)·op(b) + bias on every row, two products, transposes %s %s',
    (tA, tB) => {
      requireAddon();
      const [m, n, k] = [7, 1027, 19];
      const heap = new Heap(2 * (m * k + k * n + m * n) + n + 8 * GUARD);
      const as = [floats(m * k, 90), floats(m * k, 91)];
      const bs = [floats(k * n, 92), floats(k * n, 93)];
      const biasValues = floats(n, 94);
      const aAt = as.map((v) => heap.alloc(m * k, v));
      const bAt = bs.map((v) => heap.alloc(k * n, v));
      const cAt = [0, 1].map(() => heap.alloc(m * n, new Float32Array(m * n).fill(NaN)));
      const bias = heap.alloc(n, biasValues);
      const offsets = Float64Array.of(aAt[0]!, bAt[0]!, cAt[0]!, aAt[1]!, bAt[1]!, cAt[1]!);
      addon.gemm(heap.u8, tA, tB, m, n, k, offsets, 0.5, 3, bias); // beta is ignored
      for (const i of [0, 1]) {
        const ref = referenceGemm(as[i]!, bs[i]!, new Float32Array(0), tA, tB, m, n, k, 0.5, 0);
        ref.forEach((v, j) => (ref[j] = v + biasValues[j % n]!));
        expect(relativeError(heap.view(cAt[i]!, m * n), ref), `product ${i}`).toBeLessThanOrEqual(
          1e-5,
        );
      }
      expect(Array.from(heap.view(bias, n))).toEqual(Array.from(biasValues));
      const regions: [number, number][] = [
        ...aAt.map((o): [number, number] => [o, m * k]),
        ...bAt.map((o): [number, number] => [o, k * n]),
        ...cAt.map((o): [number, number] => [o, m * n]),
        [bias, n],
      ];
      expect(heap.guardsTouched(regions)).toBe(0);
    },
  );

  it('a bias row with k = 0 fills every row with the bias; undefined or null means none', () => {
    requireAddon();
    const heap = new Heap(256);
    const biasValues = floats(4, 95);
    const c = heap.alloc(12, new Float32Array(12).fill(NaN));
    const bias = heap.alloc(4, biasValues);
    addon.gemm(heap.u8, false, false, 3, 4, 0, Float64Array.of(c, c, c), 1, 0, bias);
    expect(Array.from(heap.view(c, 12))).toEqual([...biasValues, ...biasValues, ...biasValues]);
    for (const none of [undefined, null]) {
      heap.view(c, 12).fill(NaN);
      raw.gemm!(heap.u8, false, false, 3, 4, 0, Float64Array.of(c, c, c), 1, 0, none);
      expect(Array.from(heap.view(c, 12)), String(none)).toEqual(new Array(12).fill(0));
    }
  });

  it('takes the memory as an ArrayBuffer or a view with a byte offset (offsets from its start)', () => {
    requireAddon();
    const [m, n, k] = [3, 4, 5];
    const aValues = floats(m * k, 30);
    const bValues = floats(k * n, 31);
    const ref = referenceGemm(aValues, bValues, new Float32Array(0), false, true, m, n, k, 1, 0);
    const whole = new Float32Array(8 + m * k + k * n + m * n);
    whole.set(aValues, 8);
    whole.set(bValues, 8 + m * k);
    const view = whole.subarray(8); // byteOffset 32
    const offsets = Float64Array.of(0, m * k * 4, (m * k + k * n) * 4);
    addon.gemm(view, false, true, m, n, k, offsets, 1, 0);
    expect(relativeError(view.subarray(m * k + k * n), ref)).toBeLessThanOrEqual(1e-5);
    expect(Array.from(whole.subarray(0, 8))).toEqual(new Array(8).fill(0));

    const buffer = new ArrayBuffer((m * k + k * n + m * n) * 4);
    new Float32Array(buffer).set(aValues);
    new Float32Array(buffer).set(bValues, m * k);
    addon.gemm(buffer, false, true, m, n, k, offsets, 1, 0);
    expect(relativeError(new Float32Array(buffer, (m * k + k * n) * 4), ref)).toBeLessThanOrEqual(
      1e-5,
    );
  });

  it('k = 0: c = beta·c (beta 0 gives zeros over NaN); m = 0, n = 0 or no products write nothing', () => {
    requireAddon();
    const heap = new Heap(256);
    const c0 = floats(12, 40);
    const c = heap.alloc(12, new Float32Array(12).fill(NaN));
    const a = heap.alloc(4);
    addon.gemm(heap.u8, false, false, 3, 4, 0, Float64Array.of(a, a, c), 1, 0);
    expect(Array.from(heap.view(c, 12))).toEqual(new Array(12).fill(0));
    heap.view(c, 12).set(c0);
    addon.gemm(heap.u8, true, true, 3, 4, 0, Float64Array.of(a, a, c), 1, 2);
    expect(Array.from(heap.view(c, 12))).toEqual(Array.from(c0, (v) => Math.fround(2 * v)));

    const before = Array.from(heap.f32);
    addon.gemm(heap.u8, false, false, 0, 4, 3, Float64Array.of(a, a, c), 1, 0);
    addon.gemm(heap.u8, false, false, 3, 0, 3, Float64Array.of(a, a, c), 1, 0);
    addon.gemm(heap.u8, false, false, 3, 4, 3, new Float64Array(0), 1, 0);
    expect(Array.from(heap.f32)).toEqual(before);
  });
});

describe('unary against Math.exp / Math.tanh', () => {
  it.each([
    [0, 'exp', Math.exp],
    [1, 'tanh', Math.tanh],
  ] as const)('op %i (%s) over 1027 values, out of place and in place', (op, _name, f) => {
    requireAddon();
    const n = 1027;
    const xs = Float32Array.from(floats(n, 50, 20), (v, i) => (i % 97 === 0 ? -v * 4 : v));
    const ref = Array.from(xs, (x) => Math.fround(f(x)));
    const heap = new Heap(2 * n + 3 * GUARD);
    const x = heap.alloc(n, xs);
    const y = heap.alloc(n);
    addon.unary(heap.u8, op, x, y, n);
    expect(relativeErrorEach(heap.view(y, n), ref)).toBeLessThanOrEqual(2e-7);
    expect(Array.from(heap.view(x, n))).toEqual(Array.from(xs));
    addon.unary(heap.u8, op, x, x, n); // y may be x
    expect(relativeErrorEach(heap.view(x, n), ref)).toBeLessThanOrEqual(2e-7);
    expect(
      heap.guardsTouched([
        [x, n],
        [y, n],
      ]),
    ).toBe(0);
  });
});

/** max over i of |got − ref| / |ref| (ref nonzero, finite). */
function relativeErrorEach(got: ArrayLike<number>, ref: ArrayLike<number>): number {
  expect(got.length).toBe(ref.length);
  let worst = 0;
  for (let i = 0; i < ref.length; i++) {
    const e = got[i] === ref[i] ? 0 : Math.abs(got[i]! - ref[i]!) / Math.abs(ref[i]!);
    if (!(e <= worst)) worst = e; // NaN sticks
  }
  return worst;
}

describe('sum(heap, x, y, outer, reduce, inner) against JS', () => {
  it.each([
    [1, 1027, 1],
    [37, 1027, 1],
    [3, 7, 1],
    [2, 8, 1],
    [1, 1, 1],
    [3, 65, 1027],
    [1, 129, 1027],
    [4, 1, 3],
    [5, 3, 9],
    [5, 0, 7],
    [1, 0, 1],
  ])('(outer, reduce, inner) = (%i, %i, %i)', (outer, reduce, inner) => {
    requireAddon();
    const xs = floats(outer * reduce * inner, 60 + reduce);
    const heap = new Heap(xs.length + outer * inner + 3 * GUARD);
    const x = heap.alloc(xs.length, xs);
    const y = heap.alloc(outer * inner, new Float32Array(outer * inner).fill(NaN));
    addon.sum(heap.u8, x, y, outer, reduce, inner);
    const ref = new Float64Array(outer * inner);
    for (let o = 0; o < outer; o++) {
      for (let r = 0; r < reduce; r++) {
        for (let i = 0; i < inner; i++) ref[o * inner + i]! += xs[(o * reduce + r) * inner + i]!;
      }
    }
    expect(relativeError(heap.view(y, outer * inner), ref)).toBeLessThanOrEqual(1e-5);
    expect(Array.from(heap.view(x, xs.length))).toEqual(Array.from(xs));
    expect(
      heap.guardsTouched([
        [x, xs.length],
        [y, outer * inner],
      ]),
    ).toBe(0);
  });

  it('outer = 0 or inner = 0 writes nothing', () => {
    requireAddon();
    const heap = new Heap(64);
    const before = Array.from(heap.f32);
    addon.sum(heap.u8, 64, 128, 0, 5, 3);
    addon.sum(heap.u8, 64, 128, 4, 5, 0);
    expect(Array.from(heap.f32)).toEqual(before);
  });
});

describe('adamw against a float64 reference', () => {
  /** [b1, 1−b1, b2, 1−b2, c1, c2, eps, lr, 1−lr·wd, clip scale] for step t, as float32. */
  function constants(
    b1: number,
    b2: number,
    eps: number,
    lr: number,
    wd: number,
    t: number,
    scale = 1,
  ) {
    const c = [b1, 1 - b1, b2, 1 - b2, 1 - b1 ** t, 1 - b2 ** t, eps, lr, 1 - lr * wd, scale];
    return Float32Array.from(c);
  }

  it.each([
    ['step 1, lr 1e-3', constants(0.9, 0.999, 1e-8, 1e-3, 0.01, 1), 1],
    ['step 10, lr 1e-3, wd 0.1', constants(0.9, 0.95, 1e-8, 1e-3, 0.1, 10), 1],
    ['step 3, lr 0.5 (the update dominates)', constants(0.8, 0.99, 1e-6, 0.5, 0.2, 3), 1],
    ['p = 0 (p′ is −update alone)', constants(0.9, 0.999, 1e-8, 1e-3, 0.01, 5), 0],
    ['clip scale 0.25 (g is scaled first)', constants(0.9, 0.999, 1e-8, 1e-3, 0.01, 2, 0.25), 1],
  ] as [string, Float32Array, number][])('%s', (_name, c, pScale) => {
    requireAddon();
    const n = 1027;
    const p0 = floats(n, 70, pScale);
    const g0 = Float32Array.from(floats(n, 71), (v, i) => (i % 101 === 0 ? 0 : v));
    const m0 = floats(n, 72, 0.1);
    // v well above 0, so that no single update (m / √v) dwarfs the others in max |ref|.
    const v0 = Float32Array.from(floats(n, 73), (v) => 1e-3 + 9e-3 * v * v);
    const heap = new Heap(7 * n + 8 * GUARD);
    const [p, g, m, v] = [p0, g0, m0, v0].map((values) => heap.alloc(n, values));
    const [pOut, mOut, vOut] = [0, 1, 2].map(() => heap.alloc(n));
    addon.adamw(heap.u8, p!, g!, m!, v!, pOut!, mOut!, vOut!, n, c);

    const [b1, oneB1, b2, oneB2, c1, c2, eps, lr, decay, scale] = Array.from(c) as number[];
    const ref = { p: new Float64Array(n), m: new Float64Array(n), v: new Float64Array(n) };
    for (let i = 0; i < n; i++) {
      const gi = g0[i]! * scale!;
      const mi = b1! * m0[i]! + oneB1! * gi;
      const vi = b2! * v0[i]! + oneB2! * gi ** 2;
      ref.m[i] = mi;
      ref.v[i] = vi;
      ref.p[i] = p0[i]! * decay! - (lr! * (mi / c1!)) / (Math.sqrt(vi / c2!) + eps!);
    }
    expect(relativeError(heap.view(mOut!, n), ref.m), "m'").toBeLessThanOrEqual(1e-5);
    expect(relativeError(heap.view(vOut!, n), ref.v), "v'").toBeLessThanOrEqual(1e-5);
    expect(relativeError(heap.view(pOut!, n), ref.p), "p'").toBeLessThanOrEqual(1e-5);
    // The inputs are left as they were.
    [p0, g0, m0, v0].forEach((values, i) =>
      expect(Array.from(heap.view([p, g, m, v][i]!, n))).toEqual(Array.from(values)),
    );
    expect(
      heap.guardsTouched([p, g, m, v, pOut, mOut, vOut].map((o): [number, number] => [o!, n])),
    ).toBe(0);
  });
});

describe('bad arguments throw (RangeError or TypeError), never crash, and write nothing', () => {
  const heapFloats = 64; // 256 bytes

  /** Calls raw[name](...args) on a sentinel heap; expects `type` and an untouched heap. */
  function expectRejected(
    name: string,
    makeArgs: (heap: Uint8Array) => unknown[],
    type: string,
  ): void {
    requireAddon();
    const f32 = Float32Array.from(floats(heapFloats, 80));
    const heap = new Uint8Array(f32.buffer);
    const before = Array.from(f32);
    let error: unknown;
    try {
      raw[name]!(...makeArgs(heap));
    } catch (e) {
      error = e;
    }
    expect(error, `${name} threw`).toBeInstanceOf(Error);
    expect((error as Error).name).toBe(type);
    expect(error).toBeInstanceOf(type === 'RangeError' ? RangeError : TypeError);
    expect((error as Error).message).toMatch(/^nepenthe_native: /);
    expect(Array.from(f32), 'nothing written').toEqual(before);
  }

  const HEAP = Symbol('heap');
  /** Args with HEAP replaced by the test heap. */
  const withHeap =
    (...args: unknown[]) =>
    (heap: Uint8Array): unknown[] =>
      args.map((a) => (a === HEAP ? heap : a));

  // Valid calls, for reference: gemm 2×2·2×2 at (0, 16, 32); unary 16 floats 0 → 128;
  // sum (2, 4, 2) at 0 → 128; adamw 8 floats each at 0, 32, …, 192.
  const g = (offsets: number[], m = 2, n = 2, k = 2) =>
    withHeap(HEAP, false, false, m, n, k, Float64Array.from(offsets), 1, 0);
  const C = Float32Array.of(0.9, 0.1, 0.999, 0.001, 0.1, 0.001, 1e-8, 1e-3, 1, 1);
  const adamw = (offsets: number[], n = 8, c: unknown = C) => withHeap(HEAP, ...offsets, n, c);
  const ADAMW_OK = [0, 32, 64, 96, 128, 160, 192];

  const CASES: [string, string, (heap: Uint8Array) => unknown[], 'RangeError' | 'TypeError'][] = [
    ['gemm', 'c past the end', g([0, 16, 248]), 'RangeError'],
    ['gemm', 'a far past the end', g([1 << 20, 16, 32]), 'RangeError'],
    ['gemm', 'an unaligned offset', g([2, 16, 32]), 'RangeError'],
    ['gemm', 'a negative offset', g([-16, 16, 32]), 'RangeError'],
    ['gemm', 'a fractional offset', g([0, 16.5, 32]), 'RangeError'],
    ['gemm', 'a NaN offset', g([0, NaN, 32]), 'RangeError'],
    [
      'gemm',
      'the second triple out of range (the first is not run)',
      g([0, 16, 32, 0, 16, 256]),
      'RangeError',
    ],
    ['gemm', 'a negative m', g([0, 16, 32], -1), 'RangeError'],
    ['gemm', 'a negative k', g([0, 16, 32], 2, 2, -2), 'RangeError'],
    ['gemm', 'n ≥ 2^31', g([0, 16, 32], 2, 2 ** 31, 2), 'RangeError'],
    ['gemm', '4 offsets (not triples)', g([0, 16, 32, 0]), 'RangeError'],
    ['gemm', '2 offsets (not triples)', g([0, 16]), 'RangeError'],
    ['gemm', '8 arguments', (h) => g([0, 16, 32])(h).slice(0, 8), 'TypeError'],
    ['gemm', 'no arguments', () => [], 'TypeError'],
    [
      'gemm',
      'a plain array as memory',
      (h) => [Array.from(h), ...g([0, 16, 32])(h).slice(1)],
      'TypeError',
    ],
    ['gemm', 'a number as memory', (h) => [256, ...g([0, 16, 32])(h).slice(1)], 'TypeError'],
    [
      'gemm',
      'a plain array of offsets',
      withHeap(HEAP, false, false, 2, 2, 2, [0, 16, 32], 1, 0),
      'TypeError',
    ],
    [
      'gemm',
      'a bias past the end',
      withHeap(HEAP, false, false, 2, 2, 2, Float64Array.of(0, 16, 32), 1, 0, 252),
      'RangeError',
    ],
    [
      'gemm',
      'an unaligned bias',
      withHeap(HEAP, false, false, 2, 2, 2, Float64Array.of(0, 16, 32), 1, 0, 49),
      'RangeError',
    ],
    [
      'gemm',
      'a negative bias',
      withHeap(HEAP, false, false, 2, 2, 2, Float64Array.of(0, 16, 32), 1, 0, -8),
      'RangeError',
    ],
    [
      'gemm',
      'a bias not a number',
      withHeap(HEAP, false, false, 2, 2, 2, Float64Array.of(0, 16, 32), 1, 0, '48'),
      'TypeError',
    ],
    [
      'gemm',
      'm not a number',
      withHeap(HEAP, false, false, '2', 2, 2, Float64Array.of(0, 16, 32), 1, 0),
      'TypeError',
    ],
    ['unary', 'x past the end', withHeap(HEAP, 0, 200, 0, 16), 'RangeError'],
    ['unary', 'y past the end', withHeap(HEAP, 1, 0, 196, 16), 'RangeError'],
    ['unary', 'an unaligned offset', withHeap(HEAP, 0, 0, 130, 16), 'RangeError'],
    ['unary', 'a negative offset', withHeap(HEAP, 0, -4, 128, 16), 'RangeError'],
    ['unary', 'a negative size', withHeap(HEAP, 0, 0, 128, -1), 'RangeError'],
    ['unary', 'n far too large', withHeap(HEAP, 0, 0, 0, 2 ** 40), 'RangeError'],
    ['unary', 'an unknown op', withHeap(HEAP, 1000, 0, 128, 16), 'RangeError'],
    ['unary', '4 arguments', withHeap(HEAP, 0, 0, 128), 'TypeError'],
    ['unary', 'null as memory', () => [null, 0, 0, 128, 16], 'TypeError'],
    ['unary', 'a size not a number', withHeap(HEAP, 0, 0, 128, 'x'), 'TypeError'],
    ['sum', 'x past the end', withHeap(HEAP, 200, 0, 2, 4, 2), 'RangeError'],
    ['sum', 'y past the end', withHeap(HEAP, 0, 248, 2, 4, 2), 'RangeError'],
    ['sum', 'an unaligned offset', withHeap(HEAP, 1, 128, 2, 4, 2), 'RangeError'],
    ['sum', 'a negative reduce', withHeap(HEAP, 0, 128, 2, -4, 2), 'RangeError'],
    ['sum', 'a negative offset', withHeap(HEAP, 0, -128, 2, 4, 2), 'RangeError'],
    ['sum', 'sizes far too large', withHeap(HEAP, 0, 128, 2 ** 20, 2 ** 20, 1), 'RangeError'],
    ['sum', '5 arguments', withHeap(HEAP, 0, 128, 2, 4), 'TypeError'],
    ['sum', 'a string as memory', () => ['heap', 0, 128, 2, 4, 2], 'TypeError'],
    ['adamw', 'vOut past the end', adamw([0, 32, 64, 96, 128, 160, 240]), 'RangeError'],
    ['adamw', 'p past the end', adamw([256, 32, 64, 96, 128, 160, 192]), 'RangeError'],
    ['adamw', 'an unaligned offset', adamw([0, 34, 64, 96, 128, 160, 192]), 'RangeError'],
    ['adamw', 'a negative offset', adamw([0, 32, -64, 96, 128, 160, 192]), 'RangeError'],
    ['adamw', 'a negative size', adamw(ADAMW_OK, -8), 'RangeError'],
    ['adamw', '9 constants', adamw(ADAMW_OK, 8, C.subarray(0, 9)), 'RangeError'],
    ['adamw', 'constants not a typed array', adamw(ADAMW_OK, 8, Array.from(C)), 'TypeError'],
    ['adamw', '9 arguments', (h) => adamw(ADAMW_OK)(h).slice(0, 9), 'TypeError'],
    ['adamw', 'an object as memory', (h) => [{}, ...adamw(ADAMW_OK)(h).slice(1)], 'TypeError'],
    ['setThreads', '0 threads', () => [0], 'RangeError'],
    ['setThreads', '-1 threads', () => [-1], 'RangeError'],
    ['setThreads', '1025 threads', () => [1025], 'RangeError'],
    ['setThreads', 'a string', () => ['4'], 'TypeError'],
  ];

  it.each(CASES)('%s: %s', (name, _what, makeArgs, type) => {
    expectRejected(name, makeArgs, type);
    if (name === 'setThreads') addon.setThreads(1);
  });

  it('the valid calls these cases derive from run and write', () => {
    requireAddon();
    const f32 = Float32Array.from(floats(heapFloats, 81));
    const heap = new Uint8Array(f32.buffer);
    const calls: [string, unknown[]][] = [
      ['gemm', g([0, 16, 32])(heap)],
      ['unary', withHeap(HEAP, 0, 0, 128, 16)(heap)],
      ['sum', withHeap(HEAP, 0, 128, 2, 4, 2)(heap)],
      ['adamw', adamw(ADAMW_OK)(heap)],
    ];
    for (const [name, args] of calls) {
      const before = Array.from(f32);
      expect(() => raw[name]!(...args), name).not.toThrow();
      expect(Array.from(f32), `${name} wrote its output`).not.toEqual(before);
    }
  });

  // Regression (found by this test before the fix).
  it('setThreads: no arguments (TypeError)', () => {
    expectRejected('setThreads', () => [], 'TypeError');
  });
});

/** Runs `code` (an ES module with top-level await) in `node --import tsx` with the NEPENTHE_ variables replaced by `env`. */
async function inChild(code: string, env: Record<string, string>): Promise<{ stdout: string }> {
  const childEnv: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (!key.startsWith('NEPENTHE_')) childEnv[key] = value;
  }
  return execFileAsync(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], {
    cwd: ROOT,
    env: { ...childEnv, ...env },
    timeout: 60_000,
  });
}

/** loadNativeAddon(1) in a fresh process with `env`. */
async function loadInChild(
  env: Record<string, string>,
): Promise<{ ok: boolean; reason?: string; detail?: string }> {
  const code = [
    `const { loadNativeAddon } = await import(${JSON.stringify(LOADER)});`,
    `const s = loadNativeAddon(1);`,
    `process.stdout.write(JSON.stringify(s.ok ? { ok: true, detail: s.detail } : s));`,
  ].join('\n');
  const { stdout } = await inChild(code, env);
  return JSON.parse(stdout) as { ok: boolean; reason?: string; detail?: string };
}

describe('the loader in a fresh process', () => {
  it('loads with the default environment (the control for the cases below)', async () => {
    const result = await loadInChild({});
    expect(result.ok, result.reason).toBe(true);
    expect(result.detail).toMatch(/, 1 thread$/);
  });

  it('NEPENTHE_NATIVE_ADDON=off disables it and says so', async () => {
    const result = await loadInChild({ NEPENTHE_NATIVE_ADDON: 'off' });
    expect(result.ok).toBe(false);
    expect(result.reason).toContain('NEPENTHE_NATIVE_ADDON');
  });

  it('a missing addon file: the reason names the path and the build command', async () => {
    const result = await loadInChild({ NEPENTHE_NATIVE_ADDON: '/nonexistent.node' });
    expect(result.ok).toBe(false);
    expect(result.reason).toContain('/nonexistent.node');
    expect(result.reason).toContain('node scripts/build-native.mjs');
  });

  it('a file that is not an addon: the reason names the path and says to rebuild', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'nepenthe-native-'));
    try {
      const path = join(dir, 'nepenthe_native.node');
      await writeFile(path, 'not a shared object');
      const result = await loadInChild({ NEPENTHE_NATIVE_ADDON: path });
      expect(result.ok).toBe(false);
      expect(result.reason).toContain(path);
      expect(result.reason).toContain('node scripts/build-native.mjs');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('NEPENTHE_BLAS_LIBRARY=/nonexistent.so: the reason names the package to install', async () => {
    const result = await loadInChild({ NEPENTHE_BLAS_LIBRARY: '/nonexistent.so' });
    expect(result.ok).toBe(false);
    expect(result.reason).toContain('libopenblas0-pthread');
    expect(result.reason).toContain('/nonexistent.so');
  });

  it.runIf(process.platform === 'linux')(
    'a BLAS library without cblas_sgemm is refused',
    async () => {
      const result = await loadInChild({ NEPENTHE_BLAS_LIBRARY: 'libm.so.6' });
      expect(result.ok).toBe(false);
      expect(result.reason).toContain('has no cblas_sgemm');
      expect(result.reason).toContain('libopenblas0-pthread');
    },
  );
});

describe('a call that would crash the process, run in a child process', () => {
  // Regression (found by this test before the fix).
  it('sum with sizes whose product overflows int64 throws a RangeError', async () => {
    const code = [
      `const { loadNativeAddon } = await import(${JSON.stringify(LOADER)});`,
      `const s = loadNativeAddon(1);`,
      `if (!s.ok) throw new Error(s.reason);`,
      `try { s.addon.sum(new Uint8Array(256), 0, 0, 4, 2 ** 62, 1); console.log('no error'); }`,
      `catch (e) { console.log(e.name); }`,
    ].join('\n');
    const outcome = await inChild(code, {}).then(
      ({ stdout }) => ({ signal: null, stdout: stdout.trim() }),
      (error: { signal?: string | null; stdout?: string }) => ({
        signal: error.signal ?? null,
        stdout: (error.stdout ?? '').trim(),
      }),
    );
    expect(outcome).toEqual({ signal: null, stdout: 'RangeError' });
  });
});
