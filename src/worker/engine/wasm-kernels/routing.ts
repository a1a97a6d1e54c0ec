/**
 * What the routed wasm matrix-product kernels (batch-mat-mul.ts, fused-mat-mul.ts) share: the
 * backend internals they use, the product's shape as the stock kernel computes it, and
 * materializing transposed operands with the wasm Transpose kernel.
 */
import { Transpose, broadcast_util, getKernel, util } from '@tensorflow/tfjs-core';
import type { DataId, DataType, NamedAttrMap, TensorInfo } from '@tensorflow/tfjs-core';

export const BACKEND = 'wasm';

/** The parts of tfjs-backend-wasm's BackendWasm (4.22, dist/backend_wasm.js) used here. */
export interface WasmModule {
  /** The whole wasm heap; re-read after every allocation (growth replaces the buffer). */
  HEAPU8: Uint8Array;
  cwrap(name: string, returnType: null, argTypes: string[]): (...args: unknown[]) => void;
  tfjs: {
    registerTensor(id: number, size: number, memoryOffset: number): void;
    disposeData(id: number): void;
  };
}
export interface WasmBackend {
  wasm: WasmModule;
  /** Private in the typings; the id counter shared with every tensor the backend makes. */
  dataIdNextNumber: number;
  dataIdMap: { get(dataId: DataId): { id: number; memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  disposeData(dataId: DataId): boolean;
  typedArrayFromHeap(info: TensorInfo): Float32Array;
}

/** The sizes of one product and of its broadcast batch, as the stock kernel computes them. */
export interface ProductShape {
  readonly m: number;
  readonly k: number;
  readonly n: number;
  readonly aBatchShape: number[];
  readonly bBatchShape: number[];
  readonly outShape: number[];
}

/** Null when the stock kernel should handle (and report) the call. */
export function productShape(
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
): ProductShape | null {
  if (a.dtype !== 'float32' || b.dtype !== 'float32' || a.shape.length < 2 || b.shape.length < 2)
    return null;
  const [a0, a1] = a.shape.slice(-2) as [number, number];
  const [b0, b1] = b.shape.slice(-2) as [number, number];
  const [m, k] = transposeA ? [a1, a0] : [a0, a1];
  const [kb, n] = transposeB ? [b1, b0] : [b0, b1];
  if (k !== kb) return null;
  const aBatchShape = a.shape.slice(0, -2);
  const bBatchShape = b.shape.slice(0, -2);
  let outBatch: number[];
  try {
    outBatch = broadcast_util.assertAndGetBroadcastShape(aBatchShape, bBatchShape);
  } catch {
    return null;
  }
  return { m, k, n, aBatchShape, bBatchShape, outShape: [...outBatch, m, n] };
}

/** x with its last two axes swapped, as a new backend buffer (caller disposes). */
function swapLastTwo(x: TensorInfo, backend: WasmBackend): TensorInfo {
  const transpose = getKernel(Transpose, BACKEND);
  if (!transpose) throw new Error('wasm backend has no Transpose kernel');
  const rank = x.shape.length;
  const perm = [...Array(rank).keys()];
  [perm[rank - 2], perm[rank - 1]] = [rank - 1, rank - 2];
  return transpose.kernelFunc({
    inputs: { x },
    backend,
    attrs: { perm } as unknown as NamedAttrMap,
  }) as TensorInfo;
}

/** Operands with any transpose materialized; `release` disposes what was made here. */
export function untransposed(
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  backend: WasmBackend,
): { a: TensorInfo; b: TensorInfo; release: () => void } {
  const made: TensorInfo[] = [];
  const aPlain = transposeA ? swapLastTwo(a, backend) : a;
  if (transposeA) made.push(aPlain);
  try {
    const bPlain = transposeB ? swapLastTwo(b, backend) : b;
    if (transposeB) made.push(bPlain);
    return {
      a: aPlain,
      b: bPlain,
      release: () => made.forEach((t) => backend.disposeData(t.dataId)),
    };
  } catch (e) {
    made.forEach((t) => backend.disposeData(t.dataId));
    throw e;
  }
}

export interface MatMulAttrs {
  transposeA: boolean;
  transposeB: boolean;
}

/** True when the stock kernel already takes its XNNPACK path. */
export function stockIsFast(shape: ProductShape, attrs: MatMulAttrs): boolean {
  const batch = (s: number[]): number => util.sizeFromShape(s);
  return (
    !attrs.transposeA &&
    !attrs.transposeB &&
    batch(shape.aBatchShape) === 1 &&
    batch(shape.bBatchShape) === 1
  );
}

/** For each flat index of the broadcast batch `outBatch`, the flat batch index into `batch`. */
export function broadcastIndex(outBatch: number[], batch: number[]): Int32Array {
  const rank = outBatch.length;
  const padded = [...new Array<number>(rank - batch.length).fill(1), ...batch];
  const strides = new Array<number>(rank).fill(0);
  for (let d = rank - 1, s = 1; d >= 0; d--) {
    strides[d] = padded[d] === 1 ? 0 : s;
    s *= padded[d]!;
  }
  const total = util.sizeFromShape(outBatch);
  const index = new Int32Array(total);
  for (let i = 0; i < total; i++) {
    let rest = i;
    let at = 0;
    for (let d = rank - 1; d >= 0; d--) {
      const size = outBatch[d]!;
      at += (rest % size) * strides[d]!;
      rest = Math.floor(rest / size);
    }
    index[i] = at;
  }
  return index;
}
