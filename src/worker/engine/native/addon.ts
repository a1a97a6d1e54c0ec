/**
 * The native CPU kernels (native/*.c, built by `node scripts/build-native.mjs` into
 * build/native/nepenthe_native.node): BLAS products and fused kernels that work in place on
 * tfjs-backend-wasm's heap. Optional: without the addon, or without a BLAS library, the wasm
 * backend runs its own kernels and `loadNativeAddon` says why.
 *
 * Where the addon is looked for, first hit wins:
 *   $NEPENTHE_NATIVE_ADDON                      a path to the .node file ('off' disables it)
 *   $NEPENTHE_RESOURCES_DIR/native/…            the packaged app's resources
 *   <repo>/build/native/nepenthe_native.node    a source checkout (then ./build/native/ from
 *                                               the working directory, for bundled dev builds)
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { AddonHeap } from './memory.ts';

const FILE = 'nepenthe_native.node';

/**
 * The functions native/addon.c exports. `heap` is one memory (byte offsets) or a list of typed
 * arrays (offset = slot · 2^40 + byte offset; ./memory.ts).
 */
export interface NativeAddon {
  /** A zero-filled, addon-owned buffer; throws a RangeError with code ENOMEM when none is left. */
  alloc(bytes: number): ArrayBuffer;
  /** Frees an `alloc` buffer now and detaches it (its views read as empty from then on). */
  release(buffer: ArrayBuffer): void;
  open(): { ok: boolean; library: string; config: string; threads: number; error: string };
  setThreads(n: number): void;
  /**
   * For each (a, b, c) offset triple: c = alpha·op(a)·op(b) + beta·c, row-major; with a bias
   * offset (n floats), c = alpha·op(a)·op(b) + bias on every row.
   */
  gemm(
    heap: AddonHeap | ArrayBufferLike | ArrayBufferView,
    transposeA: boolean,
    transposeB: boolean,
    m: number,
    n: number,
    k: number,
    offsets: Float64Array,
    alpha: number,
    beta: number,
    bias?: number,
  ): void;
  /** y = f(x) over n floats; op 0 exp, 1 tanh, 2 GELU (tanh form). */
  unary(heap: AddonHeap, op: number, x: number, y: number, n: number): void;
  /** y = a op b[i mod bn] over n floats (bn divides n); op 0 add, 1 sub, 2 mul, 3 div. */
  binary(heap: AddonHeap, op: number, a: number, b: number, y: number, n: number, bn: number): void;
  /** Row broadcast: y row r = a row aIndex[r] op b row bIndex[r], rows of `width` floats. */
  binaryRows(
    heap: AddonHeap,
    op: number,
    a: number,
    aRows: number,
    aIndex: Int32Array,
    b: number,
    bRows: number,
    bIndex: Int32Array,
    y: number,
    width: number,
  ): void;
  /** dx = dy · GELU'(x) over n floats. */
  geluGrad(heap: AddonHeap, x: number, dy: number, dx: number, n: number): void;
  /** LayerNorm of `rows` rows of c floats; mean and rstd (1/sqrt(var + eps)) per row. */
  layerNorm(
    heap: AddonHeap,
    x: number,
    w: number,
    b: number,
    y: number,
    mean: number,
    rstd: number,
    rows: number,
    c: number,
    eps: number,
  ): void;
  /** LayerNorm's gradient: dx (rows, c), dw and db (c) summed over rows. */
  layerNormGrad(
    heap: AddonHeap,
    x: number,
    w: number,
    mean: number,
    rstd: number,
    dy: number,
    dx: number,
    dw: number,
    db: number,
    rows: number,
    c: number,
  ): void;
  /**
   * Row softmax of x (rows, s) plus (mask −1: none) mask row r % t (group 0: a (t, s) mask) or
   * ⌊r / (t·group)⌋·t + r % t (a (B, t, s) mask shared by each batch row's `group` heads).
   */
  maskedSoftmax(
    heap: AddonHeap,
    x: number,
    mask: number,
    y: number,
    rows: number,
    s: number,
    t: number,
    group: number,
  ): void;
  /** dx = dy·y − Σ(dy·y)·y per row. */
  softmaxGrad(heap: AddonHeap, y: number, dy: number, dx: number, rows: number, s: number): void;
  /** y = silu(g)·u over n floats. */
  swiglu(heap: AddonHeap, g: number, u: number, y: number, n: number): void;
  /** SwiGLU's gradients dg and du over n floats. */
  swigluGrad(
    heap: AddonHeap,
    g: number,
    u: number,
    dy: number,
    dg: number,
    du: number,
    n: number,
  ): void;
  /** RMSNorm of `rows` rows of c floats; rstd = 1/sqrt(mean(x²) + eps) per row. */
  rmsNorm(
    heap: AddonHeap,
    x: number,
    w: number,
    y: number,
    rstd: number,
    rows: number,
    c: number,
    eps: number,
  ): void;
  /** RMSNorm's gradient: dx (rows, c), dw (c) summed over rows. */
  rmsNormGrad(
    heap: AddonHeap,
    x: number,
    w: number,
    rstd: number,
    dy: number,
    dx: number,
    dw: number,
    rows: number,
    c: number,
  ): void;
  /** `blocks` runs of `count` floats from src to dst, strides in floats. */
  copyBlocks(
    heap: AddonHeap,
    src: number,
    dst: number,
    blocks: number,
    count: number,
    srcStride: number,
    dstStride: number,
  ): void;
  /** out[i] = table[index[i]] for rows of `width` floats; throws RangeError on a bad index. */
  gatherRows(
    heap: AddonHeap,
    table: number,
    rows: number,
    width: number,
    index: number,
    count: number,
    out: number,
  ): void;
  /** Softmax cross-entropy of n rows of v logits: loss (n), e = exp(z − max) (n, v), s = Σe (n). */
  xentForward(
    heap: AddonHeap,
    z: number,
    targets: number,
    loss: number,
    e: number,
    s: number,
    n: number,
    v: number,
  ): void;
  /**
   * Next-token statistics of n rows of v logits (native/token-stats.c): out (n, 4) =
   * log p(target), argmax = target (0/1), μ = Σ p log p, σ = sd of log p under p.
   */
  tokenStats(heap: AddonHeap, z: number, targets: number, out: number, n: number, v: number): void;
  /**
   * Bounded PEU's update over n floats (native/bounded.c): w = base + f(m·ω)·scale and, with dw
   * and dm (else both −1), dm = dw·f′(m·ω)·gradScale; bound 0 none, 1 sine, 2 tanh.
   */
  bounded(
    heap: AddonHeap,
    bound: number,
    m: number,
    base: number,
    dw: number,
    w: number,
    dm: number,
    n: number,
    omega: number,
    scale: number,
    gradScale: number,
  ): void;
  /**
   * SAU's importance redistribution (native/sparsity.c) of g over the mask m, both (in, width):
   * Wanda scores |w|·xnorm[row] with w and xnorm (in), Fisher g² with both −1.
   */
  sauImportance(
    heap: AddonHeap,
    g: number,
    m: number,
    w: number,
    xnorm: number,
    out: number,
    inputs: number,
    width: number,
    lambda: number,
  ): void;
  /** out = m ≠ 0 ? w : +0 over n floats (SAU's re-imposed zeros). */
  maskKeep(heap: AddonHeap, w: number, m: number, out: number, n: number): void;
  /** dz = e · (dy / s), minus dy at each row's target. */
  xentBackward(
    heap: AddonHeap,
    e: number,
    s: number,
    targets: number,
    dy: number,
    dz: number,
    n: number,
    v: number,
  ): void;
  /** Σ x² in double precision over the ranges (byte offsets, float counts). */
  sumSquares(heap: AddonHeap, offsets: Float64Array, sizes: Float64Array): number;
  /** y (outer, inner) = x (outer, reduce, inner) summed over reduce. */
  sum(heap: AddonHeap, x: number, y: number, outer: number, reduce: number, inner: number): void;
  /**
   * One AdamW step over n floats on the gradient times the clip scale; constants: b1, 1−b1, b2,
   * 1−b2, c1, c2, eps, lr, 1−lr·wd, scale.
   */
  adamw(
    heap: AddonHeap,
    p: number,
    g: number,
    m: number,
    v: number,
    pOut: number,
    mOut: number,
    vOut: number,
    n: number,
    constants: Float32Array,
  ): void;
}

export type NativeStatus =
  | { readonly ok: true; readonly addon: NativeAddon; readonly detail: string }
  | { readonly ok: false; readonly reason: string };

let cached: NativeStatus | undefined;

function candidates(): string[] {
  const list: string[] = [];
  const resources = process.env.NEPENTHE_RESOURCES_DIR;
  if (resources) list.push(join(resources, 'native', FILE));
  list.push(fileURLToPath(new URL(`../../../../build/native/${FILE}`, import.meta.url)));
  // Bundled (out/worker/worker.js) the line above no longer points into the checkout; in
  // development the worker runs from the repository root.
  list.push(join(process.cwd(), 'build', 'native', FILE));
  return [...new Set(list)];
}

/**
 * Loads the addon and opens its BLAS once per process; `threads` is the BLAS thread count
 * (NEPENTHE_CPU_THREADS, default all cores).
 */
export function loadNativeAddon(threads: number): NativeStatus {
  if (cached !== undefined) {
    if (cached.ok) cached.addon.setThreads(threads);
    return cached;
  }
  cached = load(threads);
  return cached;
}

function load(threads: number): NativeStatus {
  const chosen = process.env.NEPENTHE_NATIVE_ADDON;
  if (chosen === 'off') return { ok: false, reason: 'disabled by NEPENTHE_NATIVE_ADDON=off' };
  const paths = chosen ? [chosen] : candidates();
  const path = paths.find((p) => existsSync(p));
  if (path === undefined) {
    return {
      ok: false,
      reason: `no native kernels at ${paths.join(' or ')} (build them: node scripts/build-native.mjs)`,
    };
  }
  let addon: NativeAddon;
  try {
    addon = createRequire(import.meta.url)(path) as NativeAddon;
  } catch (error) {
    const message = error instanceof Error ? error.message.split('\n')[0] : String(error);
    return {
      ok: false,
      reason: `${path} failed to load (${message}); rebuild it: node scripts/build-native.mjs`,
    };
  }
  const blas = addon.open();
  if (!blas.ok) {
    return {
      ok: false,
      reason: `no BLAS library could be opened (${blas.error}); on Debian: apt-get install libopenblas0-pthread, or set NEPENTHE_BLAS_LIBRARY`,
    };
  }
  addon.setThreads(threads);
  const name = blas.config || blas.library;
  return { ok: true, addon, detail: `${name}, ${threads} thread${threads === 1 ? '' : 's'}` };
}
