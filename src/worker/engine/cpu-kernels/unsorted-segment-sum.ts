/**
 * UnsortedSegmentSum for the cpu backend. tfjs-backend-cpu 4.22 computes it as one masked sum per
 * segment — O(numSegments × size(x)) — which makes the embedding gradient (tf.gather's backward)
 * of an 8,192-token vocabulary take minutes a step. This is the same one-pass scatter-add as the
 * wasm kernel (../wasm-kernels/unsorted-segment-sum.ts), on the cpu backend's arrays.
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
import type { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { scatterAddRows } from '../wasm-kernels/unsorted-segment-sum.ts';

function unsortedSegmentSum(args: {
  inputs: UnsortedSegmentSumInputs;
  attrs: UnsortedSegmentSumAttrs;
  backend: MathBackendCPU;
}): TensorInfo {
  const { inputs, attrs, backend } = args;
  const x = inputs.x as TensorInfo;
  const segmentIds = inputs.segmentIds as TensorInfo;
  const idsRank = segmentIds.shape.length;
  util.assert(
    idsRank <= x.shape.length && segmentIds.shape.every((d, i) => d === x.shape[i]),
    () =>
      `UnsortedSegmentSum: segmentIds shape [${segmentIds.shape}] must prefix x shape [${x.shape}]`,
  );
  const innerShape = x.shape.slice(idsRank);
  const inner = util.sizeFromShape(innerShape);
  const xs = backend.data.get(x.dataId).values as Float32Array | Int32Array;
  const ids = backend.data.get(segmentIds.dataId).values as Int32Array;
  const sums = util.makeZerosTypedArray(attrs.numSegments * inner, x.dtype) as Float32Array;
  scatterAddRows(xs, ids, sums, util.sizeFromShape(segmentIds.shape), inner, attrs.numSegments);
  return backend.makeTensorInfo([attrs.numSegments, ...innerShape], x.dtype, sums);
}

export const cpuUnsortedSegmentSumConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'cpu',
  kernelFunc: unsortedSegmentSum as unknown as KernelFunc,
};
