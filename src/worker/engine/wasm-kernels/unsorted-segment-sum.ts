/**
 * UnsortedSegmentSum for the wasm backend, which ships without it (tfjs-backend-wasm 4.22). It is
 * what the gradient of `tf.gather` calls (tfjs-core GatherV2_grad): the embedding lookup's
 * backward pass scatters the output gradient rows back onto the vocabulary rows.
 *
 * Semantics follow TensorFlow's `UnsortedSegmentSum`: `segmentIds` has the shape of a prefix of
 * `x.shape`; `output[s, ...] = Σ x[i, ...]` over the (flattened) positions i with id s;
 * output shape `[numSegments, ...x.shape[ids.rank:]]`; ids outside [0, numSegments) are dropped,
 * as the cpu backend drops them.
 *
 * One pass over x with a JS loop on views of the wasm heap: O(size(x)) instead of the cpu
 * backend's numSegments masked sums, O(numSegments × size(x)), which for a 50k-token vocabulary
 * would be hopeless.
 */
import {
  UnsortedSegmentSum,
  util,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  type UnsortedSegmentSumAttrs,
  type UnsortedSegmentSumInputs,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

function unsortedSegmentSum(args: {
  inputs: UnsortedSegmentSumInputs;
  attrs: UnsortedSegmentSumAttrs;
  backend: BackendWasm;
}): TensorInfo {
  const { inputs, attrs, backend } = args;
  const x = inputs.x as TensorInfo;
  const segmentIds = inputs.segmentIds as TensorInfo;
  const { numSegments } = attrs;
  const idsRank = segmentIds.shape.length;
  util.assert(
    segmentIds.dtype === 'int32',
    () => `UnsortedSegmentSum: segmentIds must be int32, got ${segmentIds.dtype}`,
  );
  util.assert(
    x.dtype === 'float32' || x.dtype === 'int32',
    () => `UnsortedSegmentSum: x must be float32 or int32, got ${x.dtype}`,
  );
  util.assert(
    idsRank <= x.shape.length && segmentIds.shape.every((d, i) => d === x.shape[i]),
    () =>
      `UnsortedSegmentSum: segmentIds shape [${segmentIds.shape}] must prefix x shape [${x.shape}]`,
  );

  const innerShape = x.shape.slice(idsRank);
  const inner = util.sizeFromShape(innerShape);
  const rows = util.sizeFromShape(segmentIds.shape);
  const out = backend.makeOutput([numSegments, ...innerShape], x.dtype);
  // Views are taken after makeOutput: growing the heap detaches views taken before it.
  const xs = backend.typedArrayFromHeap(x);
  const ids = backend.typedArrayFromHeap(segmentIds);
  const sums = backend.typedArrayFromHeap(out);
  sums.fill(0);
  scatterAddRows(xs, ids, sums, rows, inner, numSegments);
  return out;
}

/** sums[ids[r]] += xs[r] row by row (rows of `inner` values); ids outside [0, numSegments) dropped. */
export function scatterAddRows(
  xs: ArrayLike<number>,
  ids: ArrayLike<number>,
  sums: { [index: number]: number },
  rows: number,
  inner: number,
  numSegments: number,
): void {
  for (let row = 0; row < rows; row++) {
    const segment = ids[row]!;
    if (segment < 0 || segment >= numSegments) continue;
    const src = row * inner;
    const dst = segment * inner;
    for (let j = 0; j < inner; j++) sums[dst + j]! += xs[src + j]!;
  }
}

export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum as unknown as KernelFunc,
};
