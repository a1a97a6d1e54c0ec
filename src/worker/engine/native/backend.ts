/**
 * The native CPU backend (`--backend native`): tfjs-backend-cpu's storage — every tensor its own
 * typed array, so tensor memory is bounded by the machine's RAM, not by wasm's 32-bit heap
 * (≤ 4 GB, too small to train any real local model) — with the hot kernels on the native addon
 * working on those arrays in place (./memory.ts): products on BLAS, the fused layers, AdamW,
 * Exp/Tanh/Sum and the block copies. Every other kernel is tfjs-cpu's own, so every op is
 * correct from the start; docs/native-kernels.md says why this design and what it measured.
 */
import {
  BatchMatMul,
  _FusedMatMul,
  getKernel,
  getKernelsForBackend,
  registerBackend,
  registerKernel,
  unregisterKernel,
  util,
} from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { registerCpuKernels } from '../cpu-kernels/index.ts';
import { setNativeAddon } from '../wasm-kernels/native-active.ts';
import { nativeAdamWConfig } from '../wasm-kernels/native-adamw.ts';
import { nativeElementwiseKernels } from '../wasm-kernels/native-elementwise.ts';
import { nativeLayerKernels } from '../wasm-kernels/native-layers.ts';
import { nativeBatchMatMul } from '../wasm-kernels/native-mat-mul.ts';
import { productShape, type MatMulAttrs } from '../wasm-kernels/routing.ts';
import type { NativeAddon } from './addon.ts';

export const NATIVE_BACKEND = 'native';

let registered = false;

/** Idempotent; registers the backend and its kernels (activate it with tf.setBackend). */
export function registerNativeBackend(addon: NativeAddon): void {
  setNativeAddon(addon);
  if (registered) return;
  registered = true;
  registerBackend(NATIVE_BACKEND, () => new MathBackendCPU(), 0);
  registerCpuKernels();
  for (const config of getKernelsForBackend('cpu')) install({ ...config });
  for (const config of [nativeAdamWConfig, ...nativeLayerKernels]) install(config);
  const stock = (name: string): KernelConfig => {
    const config = getKernel(name, NATIVE_BACKEND);
    if (!config) throw new Error(`registerNativeBackend: tfjs-cpu has no ${name} kernel`);
    return config;
  };
  for (const config of nativeElementwiseKernels(stock)) install(config);
  install({ ...stock(BatchMatMul), kernelFunc: batchMatMul(addon, stock(BatchMatMul).kernelFunc) });
  install({ ...stock(_FusedMatMul), kernelFunc: fusedMatMul(addon, stock(_FusedMatMul).kernelFunc) });
}

function install(config: KernelConfig): void {
  if (getKernel(config.kernelName, NATIVE_BACKEND) !== undefined)
    unregisterKernel(config.kernelName, NATIVE_BACKEND);
  registerKernel({ ...config, backendName: NATIVE_BACKEND });
}

/** tf.matMul's semantics on BLAS; what `productShape` refuses (dtypes, ranks) goes to tfjs-cpu. */
function batchMatMul(addon: NativeAddon, stock: KernelFunc): KernelFunc {
  return (args) => {
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as MatMulAttrs;
    const shape = productShape(a, b, transposeA, transposeB);
    if (shape === null) return stock(args);
    return nativeBatchMatMul(addon, a, b, transposeA, transposeB, shape, args.backend);
  };
}

/** tf.fused.matMul with no activation and a per-column bias on BLAS, the rest on tfjs-cpu. */
function fusedMatMul(addon: NativeAddon, stock: KernelFunc): KernelFunc {
  return (args) => {
    const { a, b, bias } = args.inputs as { a: TensorInfo; b: TensorInfo; bias?: TensorInfo };
    const attrs = args.attrs as unknown as MatMulAttrs & { activation?: string };
    const shape = productShape(a, b, attrs.transposeA, attrs.transposeB);
    const biasRow =
      bias == null ||
      (bias.dtype === 'float32' &&
        bias.shape.at(-1) === shape?.n &&
        util.sizeFromShape(bias.shape) === shape?.n);
    if (shape === null || (attrs.activation ?? 'linear') !== 'linear' || !biasRow)
      return stock(args);
    const { transposeA, transposeB } = attrs;
    return nativeBatchMatMul(addon, a, b, transposeA, transposeB, shape, args.backend, bias);
  };
}
