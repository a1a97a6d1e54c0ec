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
import type {
  BackendValues,
  DataId,
  DataType,
  KernelConfig,
  KernelFunc,
  TensorInfo,
} from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { registerCpuKernels } from '../cpu-kernels/index.ts';
import { nativeAddon, setNativeAddon } from '../wasm-kernels/native-active.ts';
import { nativeAdamWConfig } from '../wasm-kernels/native-adamw.ts';
import { nativeBinaryKernels } from '../wasm-kernels/native-binary.ts';
import { nativeElementwiseKernels } from '../wasm-kernels/native-elementwise.ts';
import { nativeHeadKernels } from '../wasm-kernels/native-head.ts';
import { nativeLayerKernels } from '../wasm-kernels/native-layers.ts';
import { nativeBatchMatMul } from '../wasm-kernels/native-mat-mul.ts';
import { productShape, type MatMulAttrs } from '../wasm-kernels/routing.ts';
import type { NativeAddon } from './addon.ts';
import { OutOfMemoryError } from './out-of-memory.ts';

export const NATIVE_BACKEND = 'native';

let registered = false;

/** Idempotent; registers the backend and its kernels (activate it with tf.setBackend). */
export function registerNativeBackend(addon: NativeAddon): void {
  setNativeAddon(addon);
  if (registered) return;
  registered = true;
  registerBackend(NATIVE_BACKEND, () => new NativeCpuBackend(addon), 0);
  registerCpuKernels();
  for (const config of getKernelsForBackend('cpu')) install({ ...config });
  for (const config of [nativeAdamWConfig, ...nativeLayerKernels, ...nativeHeadKernels])
    install(config);
  const stock = (name: string): KernelConfig => {
    const config = getKernel(name, NATIVE_BACKEND);
    if (!config) throw new Error(`registerNativeBackend: tfjs-cpu has no ${name} kernel`);
    return config;
  };
  for (const config of [...nativeElementwiseKernels(stock), ...nativeBinaryKernels(stock)])
    install(config);
  install({ ...stock(BatchMatMul), kernelFunc: batchMatMul(stock(BatchMatMul).kernelFunc) });
  install({ ...stock(_FusedMatMul), kernelFunc: fusedMatMul(stock(_FusedMatMul).kernelFunc) });
}

/**
 * tfjs-cpu's backend with the native kernels' outputs in addon-owned memory that is freed the
 * moment a tensor is disposed: left to the garbage collector, the freed buffers of a 0.5B train
 * step piled up to gigabytes above the live tensors, and the collections that reclaimed them ran
 * inside whichever kernel allocated next (bench/RESULTS.md "Real shapes").
 */
export class NativeCpuBackend extends MathBackendCPU {
  private readonly owned = new WeakSet<ArrayBufferLike>();

  constructor(private readonly addon: NativeAddon) {
    super();
  }

  allocate(size: number, dtype: DataType): ArrayBufferView {
    const bytes = dtype === 'bool' ? size : 4 * size;
    let buffer: ArrayBuffer;
    try {
      buffer = this.addon.alloc(bytes);
    } catch (error) {
      if ((error as { code?: string }).code === 'ENOMEM') throw new OutOfMemoryError(bytes);
      throw error;
    }
    this.owned.add(buffer);
    if (dtype === 'float32') return new Float32Array(buffer);
    if (dtype === 'int32') return new Int32Array(buffer);
    return new Uint8Array(buffer);
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const values = this.data.get(dataId)?.values as ArrayBufferView | undefined;
    const disposed = super.disposeData(dataId, force);
    if (disposed && values !== undefined && this.owned.has(values.buffer)) {
      this.owned.delete(values.buffer);
      this.addon.release(values.buffer as ArrayBuffer);
    }
    return disposed;
  }

  /** A copy of addon-owned values: the caller may keep them after the tensor is disposed. */
  override readSync(dataId: DataId): BackendValues {
    const values = super.readSync(dataId);
    return ArrayBuffer.isView(values) && this.owned.has(values.buffer)
      ? (values as Float32Array).slice()
      : values;
  }

  override read(dataId: DataId): Promise<BackendValues> {
    return Promise.resolve(this.readSync(dataId));
  }
}

function install(config: KernelConfig): void {
  if (getKernel(config.kernelName, NATIVE_BACKEND) !== undefined)
    unregisterKernel(config.kernelName, NATIVE_BACKEND);
  registerKernel({ ...config, backendName: NATIVE_BACKEND });
}

/** tf.matMul's semantics on BLAS; what `productShape` refuses (dtypes, ranks) goes to tfjs-cpu. */
function batchMatMul(stock: KernelFunc): KernelFunc {
  return (args) => {
    const addon = nativeAddon();
    if (addon === null) return stock(args);
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    const { transposeA, transposeB } = args.attrs as unknown as MatMulAttrs;
    const shape = productShape(a, b, transposeA, transposeB);
    if (shape === null) return stock(args);
    return nativeBatchMatMul(addon, a, b, transposeA, transposeB, shape, args.backend);
  };
}

/** tf.fused.matMul with no activation and a per-column bias on BLAS, the rest on tfjs-cpu. */
function fusedMatMul(stock: KernelFunc): KernelFunc {
  return (args) => {
    const addon = nativeAddon();
    if (addon === null) return stock(args);
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
