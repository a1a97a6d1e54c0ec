/**
 * The backend-independent half of our UnsortedSegmentSum kernels (wasm lacks the kernel; cpu's
 * is O(numSegments × size(x))). Semantics follow TensorFlow's `UnsortedSegmentSum`: `segmentIds`
 * has the shape of a prefix of `x.shape`; `output[s, ...] = Σ x[i, ...]` over the (flattened)
 * positions i with id s; output shape `[numSegments, ...x.shape[ids.rank:]]`; ids outside
 * [0, numSegments) are dropped, as tfjs's cpu backend drops them. It is what the gradient of
 * `tf.gather` calls: the embedding's backward pass scatters gradient rows onto vocabulary rows.
 */
import { util, type TensorInfo } from '@tensorflow/tfjs-core';

export interface SegmentLayout {
  /** Shape of one row of x (and of the output). */
  readonly innerShape: number[];
  /** Elements per row. */
  readonly inner: number;
  /** Rows of x: one per segment id. */
  readonly rows: number;
}

/** Checks dtypes and shapes; returns how x splits into rows. */
export function segmentLayout(x: TensorInfo, segmentIds: TensorInfo): SegmentLayout {
  util.assert(
    segmentIds.dtype === 'int32',
    () => `UnsortedSegmentSum: segmentIds must be int32, got ${segmentIds.dtype}`,
  );
  util.assert(
    x.dtype === 'float32' || x.dtype === 'int32',
    () => `UnsortedSegmentSum: x must be float32 or int32, got ${x.dtype}`,
  );
  const idsRank = segmentIds.shape.length;
  util.assert(
    idsRank <= x.shape.length && segmentIds.shape.every((d, i) => d === x.shape[i]),
    () =>
      `UnsortedSegmentSum: segmentIds shape [${segmentIds.shape}] must prefix x shape [${x.shape}]`,
  );
  const innerShape = x.shape.slice(idsRank);
  return {
    innerShape,
    inner: util.sizeFromShape(innerShape),
    rows: util.sizeFromShape(segmentIds.shape),
  };
}

/** sums[ids[r]] += xs[r], row by row, in one pass over x; ids outside [0, numSegments) dropped. */
export function scatterAddRows(
  xs: ArrayLike<number>,
  ids: ArrayLike<number>,
  sums: { [index: number]: number },
  layout: SegmentLayout,
  numSegments: number,
): void {
  const { rows, inner } = layout;
  for (let row = 0; row < rows; row++) {
    const segment = ids[row]!;
    if (segment < 0 || segment >= numSegments) continue;
    const src = row * inner;
    const dst = segment * inner;
    for (let j = 0; j < inner; j++) sums[dst + j]! += xs[src + j]!;
  }
}
