/**
 * Kernels we register on tfjs's wasm backend, one file each.
 *
 * MISSING: kernels tfjs-backend-wasm 4.22 does not have at all, but a transformer's training
 * needs. Found by running the forward and backward pass of every op GPT-2 and Llama use on
 * wasm next to cpu (tests/engine/wasm-kernels.test.ts keeps that probe): of those, only
 * UnsortedSegmentSum (the gather gradient) is absent. Also absent but unused by our models:
 * Einsum, Conv2DBackpropFilter, DepthwiseConv2dNativeBackprop*, FFT/complex, ragged and string
 * kernels.
 *
 * REPLACEMENTS: faster versions of kernels wasm already has (a BatchMatMul goes here): the
 * built-in one is unregistered first, since tfjs keeps one kernel per name and backend.
 */
import {
  getKernel,
  registerKernel,
  unregisterKernel,
  type KernelConfig,
} from '@tensorflow/tfjs-core';
import { registerFastBatchMatMul } from './batch-mat-mul.ts';
import { setNativeAddon } from './native-active.ts';
import { nativeAdamWConfig } from './native-adamw.ts';
import { nativeHeadKernels } from './native-head.ts';
import { nativeLayerKernels } from './native-layers.ts';
import { nativeElementwiseKernels } from './native-elementwise.ts';
import type { NativeAddon } from '../native/addon.ts';
import { unsortedSegmentSumConfig } from './unsorted-segment-sum.ts';

const MISSING: readonly KernelConfig[] = [unsortedSegmentSumConfig];

/** Kernels of our own (fused steps); each needs the native addon active when it runs. */
const FUSED: readonly KernelConfig[] = [
  nativeAdamWConfig,
  ...nativeLayerKernels,
  ...nativeHeadKernels,
];

const REPLACEMENTS: readonly KernelConfig[] = [];

/**
 * Idempotent; call before the first op on the wasm backend (selectBackend does). A MISSING kernel
 * that a later tfjs ships natively is left alone; a REPLACEMENT always wins.
 */
export function registerWasmKernels(): void {
  for (const config of [...MISSING, ...FUSED]) {
    if (getKernel(config.kernelName, 'wasm') === undefined) registerKernel(config);
  }
  for (const config of REPLACEMENTS) {
    const existing = getKernel(config.kernelName, 'wasm');
    if (existing?.kernelFunc === config.kernelFunc) continue;
    if (existing !== undefined) unregisterKernel(config.kernelName, 'wasm');
    registerKernel(config);
  }
  // BatchMatMul and _FusedMatMul are routed onto XNNPACK's fast path (bench/RESULTS.md); that
  // kernel wraps the stock one, so it registers itself rather than through REPLACEMENTS.
  registerFastBatchMatMul();
  // Kernels with a native path wrap the stock ones, which they call when no addon is active.
  if (!nativeWrapped) {
    const stock = (name: string): KernelConfig => {
      const config = getKernel(name, 'wasm');
      if (!config) throw new Error(`registerWasmKernels: the wasm backend has no ${name} kernel`);
      return config;
    };
    for (const config of nativeElementwiseKernels(stock)) {
      unregisterKernel(config.kernelName, 'wasm');
      registerKernel(config);
    }
    nativeWrapped = true;
  }
}

let nativeWrapped = false;

/** Names of the kernels `registerWasmKernels` adds or replaces. */
export const WASM_KERNEL_NAMES: readonly string[] = [
  ...[...MISSING, ...REPLACEMENTS].map((k) => k.kernelName),
  'BatchMatMul',
  '_FusedMatMul',
  'Exp',
  'Tanh',
  'Sum',
  'Identity',
  'Cast',
  'SplitV',
  'Concat',
  'GatherV2',
  'Slice',
  'Transpose',
];

/**
 * Routes the kernels the native addon implements (products on BLAS, Exp, Tanh, Sum, Identity)
 * to it, or back to the wasm kernels with null. The addon works in place on the wasm heap, so this is per process.
 */
export function useNativeKernels(addon: NativeAddon | null): void {
  setNativeAddon(addon);
}
