/**
 * UnsortedSegmentSum for the cpu backend. tfjs-backend-cpu 4.22 computes it as one masked sum per
 * segment — O(numSegments × size(x)) — which made one cpu-small training step take over 20
 * minutes (the embedding gradient of an 8,192-token vocabulary). One pass instead
 * (../segment-sum.ts), on the cpu backend's arrays.
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
import { scatterAddRows, segmentLayout } from '../segment-sum.ts';

function unsortedSegmentSum(args: {
  inputs: UnsortedSegmentSumInputs;
  attrs: UnsortedSegmentSumAttrs;
  backend: MathBackendCPU;
}): TensorInfo {
  const { inputs, attrs, backend } = args;
  const x = inputs.x as TensorInfo;
  const segmentIds = inputs.segmentIds as TensorInfo;
  const layout = segmentLayout(x, segmentIds);
  const sums = util.makeZerosTypedArray(attrs.numSegments * layout.inner, x.dtype) as Float32Array;
  scatterAddRows(
    backend.data.get(x.dataId).values as Float32Array | Int32Array,
    backend.data.get(segmentIds.dataId).values as Int32Array,
    sums,
    layout,
    attrs.numSegments,
  );
  return backend.makeTensorInfo([attrs.numSegments, ...layout.innerShape], x.dtype, sums);
}

export const cpuUnsortedSegmentSumConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'cpu',
  kernelFunc: unsortedSegmentSum as unknown as KernelFunc,
};
