/**
 * UnsortedSegmentSum for the wasm backend, which ships without it (tfjs-backend-wasm 4.22): one
 * pass over x with a JS loop on views of the wasm heap (../segment-sum.ts).
 */
import {
  UnsortedSegmentSum,
  type KernelConfig,
  type KernelFunc,
  type TensorInfo,
  type UnsortedSegmentSumAttrs,
  type UnsortedSegmentSumInputs,
} from '@tensorflow/tfjs-core';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { scatterAddRows, segmentLayout } from '../segment-sum.ts';

function unsortedSegmentSum(args: {
  inputs: UnsortedSegmentSumInputs;
  attrs: UnsortedSegmentSumAttrs;
  backend: BackendWasm;
}): TensorInfo {
  const { inputs, attrs, backend } = args;
  const x = inputs.x as TensorInfo;
  const segmentIds = inputs.segmentIds as TensorInfo;
  const layout = segmentLayout(x, segmentIds);
  const out = backend.makeOutput([attrs.numSegments, ...layout.innerShape], x.dtype);
  // Views are taken after makeOutput: growing the heap detaches views taken before it.
  const sums = backend.typedArrayFromHeap(out);
  sums.fill(0);
  scatterAddRows(
    backend.typedArrayFromHeap(x),
    backend.typedArrayFromHeap(segmentIds),
    sums,
    layout,
    attrs.numSegments,
  );
  return out;
}

export const unsortedSegmentSumConfig: KernelConfig = {
  kernelName: UnsortedSegmentSum,
  backendName: 'wasm',
  kernelFunc: unsortedSegmentSum as unknown as KernelFunc,
};
