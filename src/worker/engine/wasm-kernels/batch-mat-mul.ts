/**
 * BatchMatMul and _FusedMatMul for the wasm backend, routed so that every product reaches
 * XNNPACK's fully-connected operator.
 *
 * Why: tfjs-backend-wasm 4.22 (src/cc/batch_mat_mul_impl.cc) runs a product on XNNPACK only when
 * neither operand is transposed and both batch sizes are 1. Everything else — all of backprop
 * (dX = dY·Wᵀ, dW = Xᵀ·dY), every attention product, any (B, T, C)·(C, N) — falls to a scalar
 * blocked triple loop at 0.35–1.5 GFLOP/s against 12–19 on the XNNPACK path (bench/RESULTS.md).
 *
 * How, per call (semantics are tf.matMul's: transposes, broadcast batch dims):
 *  1. A transposed operand is materialized by the wasm Transpose kernel: one memory pass, O(size),
 *     against the O(M·K·N) product it unlocks.
 *  2. When b has no batch (every batch dim 1), a's batch is folded into its rows and the stock
 *     kernel does one (batch·M, K)·(K, N) product — its XNNPACK operator cache (packed weights,
 *     keyed on b's tensor id) keeps working for weights that are reused.
 *  3. Otherwise one 2-D product per output batch entry, through the stock C entry point called
 *     on "views": temporary tensor ids registered at offsets inside a, b and the output buffer, so
 *     nothing is sliced or concatenated. A view's disposal also frees the XNNPACK operator that
 *     was cached on its id.
 * _FusedMatMul takes steps 1-2 where XNNPACK applies, else is composed (fused-mat-mul.ts).
 * Anything else (non-float32, rank < 2, shape errors) goes to the stock kernel, which throws its
 * usual errors. Step 3 relies on backend internals of 4.22 (checked once per backend; if they are
 * absent, batched products fall back to the stock kernel after steps 1-2).
 */
import {
  BatchMatMul,
  _FusedMatMul,
  getKernel,
  registerKernel,
  unregisterKernel,
  util,
} from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { makeFusedMatMul } from './fused-mat-mul.ts';
import { nativeAddon } from './native-active.ts';
import { nativeBatchMatMul } from './native-mat-mul.ts';
import {
  BACKEND,
  productShape,
  stockIsFast,
  broadcastIndex,
  untransposed,
  type MatMulAttrs,
  type ProductShape,
  type WasmBackend,
} from './routing.ts';

/** The C `BatchMatMul(a_id, a_shape, a_rank, b_id, b_shape, b_rank, tA, tB, out_id)`. */
type CBatchMatMul = (
  aId: number,
  aShape: Uint8Array,
  aRank: number,
  bId: number,
  bShape: Uint8Array,
  bRank: number,
  transposeA: number,
  transposeB: number,
  outId: number,
) => void;

const cEntryPoints = new WeakMap<object, CBatchMatMul | null>();

/** The C entry point when the backend has the 4.22 internals that views need, else null. */
function cBatchMatMul(backend: WasmBackend): CBatchMatMul | null {
  let fn = cEntryPoints.get(backend);
  if (fn === undefined) {
    const ok =
      typeof backend.wasm?.cwrap === 'function' &&
      typeof backend.wasm.tfjs?.registerTensor === 'function' &&
      typeof backend.wasm.tfjs.disposeData === 'function' &&
      typeof backend.dataIdNextNumber === 'number' &&
      typeof backend.dataIdMap?.get === 'function';
    const argTypes = [
      'number',
      'array',
      'number',
      'number',
      'array',
      'number',
      'number',
      'number',
      'number',
    ];
    fn = ok ? (backend.wasm.cwrap(BatchMatMul, null, argTypes) as CBatchMatMul) : null;
    cEntryPoints.set(backend, fn);
  }
  return fn;
}

const shapeBytes = (shape: number[]): Uint8Array => new Uint8Array(new Int32Array(shape).buffer);

/**
 * out[i] = a[ai(i)] · b[bi(i)] for every batch entry i, each a 2-D (m, k)·(k, n) product on the
 * XNNPACK path, over views into the three buffers (a and b untransposed, contiguous).
 */
function productPerBatchEntry(
  a: TensorInfo,
  b: TensorInfo,
  shape: ProductShape,
  backend: WasmBackend,
  cMatMul: CBatchMatMul,
): TensorInfo {
  const { m, k, n, aBatchShape, bBatchShape, outShape } = shape;
  const outBatch = outShape.slice(0, -2);
  const aIndex = broadcastIndex(outBatch, aBatchShape);
  const bIndex = broadcastIndex(outBatch, bBatchShape);
  const out = backend.makeOutput(outShape, 'float32');
  const base = (t: TensorInfo): number => backend.dataIdMap.get(t.dataId)!.memoryOffset;
  const [aBase, bBase, outBase] = [base(a), base(b), base(out)];
  const views: number[] = [];
  const view = (offset: number, size: number): number => {
    const id = backend.dataIdNextNumber++;
    backend.wasm.tfjs.registerTensor(id, size, offset);
    views.push(id);
    return id;
  };
  // One view per distinct operand slice: a b slice shared across the batch is packed once.
  const aViews = new Map<number, number>();
  const bViews = new Map<number, number>();
  const aShapeBytes = shapeBytes([1, m, k]);
  const bShapeBytes = shapeBytes([1, k, n]);
  try {
    for (let i = 0; i < aIndex.length; i++) {
      const ai = aIndex[i]!;
      const bi = bIndex[i]!;
      let aId = aViews.get(ai);
      if (aId === undefined) aViews.set(ai, (aId = view(aBase + ai * m * k * 4, m * k)));
      let bId = bViews.get(bi);
      if (bId === undefined) bViews.set(bi, (bId = view(bBase + bi * k * n * 4, k * n)));
      const outId = view(outBase + i * m * n * 4, m * n);
      cMatMul(aId, aShapeBytes, 3, bId, bShapeBytes, 3, 0, 0, outId);
    }
  } catch (e) {
    backend.disposeData(out.dataId);
    throw e;
  } finally {
    for (const id of views) backend.wasm.tfjs.disposeData(id);
  }
  return out;
}

function makeBatchMatMul(stock: KernelFunc): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const attrs = args.attrs as unknown as MatMulAttrs;
    const backend = args.backend as unknown as WasmBackend;
    const shape = productShape(a, b, attrs.transposeA, attrs.transposeB);
    if (shape === null) return stock(args);
    const { m, k, n, aBatchShape, bBatchShape, outShape } = shape;
    if (util.sizeFromShape(outShape) === 0 || k === 0) {
      // The stock kernel leaves the output uninitialized when k = 0; an empty sum is 0.
      const out = backend.makeOutput(outShape, 'float32');
      backend.typedArrayFromHeap(out).fill(0);
      return out;
    }
    const native = nativeAddon();
    if (native !== null) {
      return nativeBatchMatMul(native, a, b, attrs.transposeA, attrs.transposeB, shape, backend);
    }
    if (stockIsFast(shape, attrs)) return stock(args);
    const plain = untransposed(a, b, attrs.transposeA, attrs.transposeB, backend);
    try {
      const cMatMul = cBatchMatMul(backend);
      if (util.sizeFromShape(bBatchShape) === 1) {
        const rows = util.sizeFromShape(aBatchShape) * m;
        const out = stock({
          ...args,
          inputs: { a: { ...plain.a, shape: [rows, k] }, b: { ...plain.b, shape: [k, n] } },
          attrs: { transposeA: false, transposeB: false },
        }) as TensorInfo;
        return { ...out, shape: outShape };
      }
      if (cMatMul === null) {
        return stock({
          ...args,
          inputs: { a: plain.a, b: plain.b },
          attrs: { transposeA: false, transposeB: false },
        });
      }
      return productPerBatchEntry(plain.a, plain.b, shape, backend, cMatMul);
    } finally {
      plain.release();
    }
  };
}

/** The stock configs, while ours are registered. */
let stockConfigs: KernelConfig[] | null = null;

function swapIn(stock: KernelConfig, kernelFunc: KernelFunc): void {
  unregisterKernel(stock.kernelName, BACKEND);
  // setupFunc stays: the stock kernelFunc needs it if the backend initializes after this call.
  registerKernel({ ...stock, kernelFunc });
}

/**
 * Re-registers BatchMatMul and _FusedMatMul for 'wasm' with the routing above. Needs
 * `@tensorflow/tfjs-backend-wasm` imported (its kernels registered); works before or after the
 * backend initializes. Calling it again does nothing.
 */
export function registerFastBatchMatMul(): void {
  if (stockConfigs !== null) return;
  const batchMatMul = getKernel(BatchMatMul, BACKEND);
  if (!batchMatMul) {
    throw new Error(
      'registerFastBatchMatMul: no wasm BatchMatMul kernel; import @tensorflow/tfjs-backend-wasm first',
    );
  }
  const fusedMatMul = getKernel(_FusedMatMul, BACKEND);
  const routed = makeBatchMatMul(batchMatMul.kernelFunc);
  swapIn(batchMatMul, routed);
  stockConfigs = [batchMatMul];
  if (fusedMatMul) {
    swapIn(fusedMatMul, makeFusedMatMul(fusedMatMul.kernelFunc, routed));
    stockConfigs.push(fusedMatMul);
  }
}

/** Puts the stock kernels back (benchmarks compare the two in one process). */
export function unregisterFastBatchMatMul(): void {
  if (stockConfigs === null) return;
  for (const stock of stockConfigs) {
    unregisterKernel(stock.kernelName, BACKEND);
    registerKernel(stock);
  }
  stockConfigs = null;
}
