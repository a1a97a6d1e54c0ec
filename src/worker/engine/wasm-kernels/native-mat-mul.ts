/**
 * BatchMatMul on the native addon's BLAS (src/worker/engine/native), in place on the backend's
 * memory (wasm heap or the native backend's typed arrays, ../native/memory.ts):
 * transposes are passed to sgemm as flags (no copy), a batch that b does not have is folded into
 * a's rows (one large product), and otherwise one sgemm per broadcast batch entry, all in one
 * call into the addon. Semantics are tf.matMul's, as the routed kernel's (batch-mat-mul.ts).
 */
import { util } from '@tensorflow/tfjs-core';
import type { TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../native/addon.ts';
import { kernelMemory } from '../native/memory.ts';
import { broadcastIndex, type ProductShape } from './routing.ts';

/**
 * out = op(a)·op(b) (+ bias, a float32 row of n added to every output row) for a product
 * `productShape` accepted; the output is a new buffer.
 */
export function nativeBatchMatMul(
  addon: NativeAddon,
  a: TensorInfo,
  b: TensorInfo,
  transposeA: boolean,
  transposeB: boolean,
  shape: ProductShape,
  backend: unknown,
  bias?: TensorInfo,
): TensorInfo {
  const { m, k, n, aBatchShape, bBatchShape, outShape } = shape;
  const mem = kernelMemory(backend);
  const out = mem.output(outShape, 'float32');
  const size = util.sizeFromShape(outShape);
  if (size === 0) return out;
  // Offsets are read after makeOutput: an allocation may grow (and replace) the heap.
  const [aBase, bBase, outBase] = [mem.at(a), mem.at(b), mem.at(out)];
  const biasBase = bias === undefined ? undefined : mem.at(bias);
  const heap = mem.heap();
  if (k === 0) {
    const values = mem.floats(out);
    if (bias === undefined) values.fill(0);
    else {
      const row = mem.floats(bias);
      for (let r = 0; r < size / n; r++) values.set(row, r * n);
    }
    return out;
  }
  const aBatch = util.sizeFromShape(aBatchShape);
  if (util.sizeFromShape(bBatchShape) === 1 && !transposeA) {
    // (batch·m, k)·(k, n): a's batch entries are consecutive rows of one matrix.
    const offsets = Float64Array.of(aBase, bBase, outBase);
    addon.gemm(heap, false, transposeB, aBatch * m, n, k, offsets, 1, 0, biasBase);
    return out;
  }
  const outBatch = outShape.slice(0, -2);
  const aIndex = broadcastIndex(outBatch, aBatchShape);
  const bIndex = broadcastIndex(outBatch, bBatchShape);
  const offsets = new Float64Array(aIndex.length * 3);
  for (let i = 0; i < aIndex.length; i++) {
    offsets[3 * i] = aBase + aIndex[i]! * m * k * 4;
    offsets[3 * i + 1] = bBase + bIndex[i]! * k * n * 4;
    offsets[3 * i + 2] = outBase + i * m * n * 4;
  }
  addon.gemm(heap, transposeA, transposeB, m, n, k, offsets, 1, 0, biasBase);
  return out;
}
