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
 * Bytes of released buffers kept for reuse (`BufferPool`). Every new ArrayBuffer counts as
 * external memory to V8, which starts a full collection each time that count has grown by
 * tens of megabytes, whatever was freed meanwhile: a forward pass at the 0.5B shape allocates
 * gigabytes, so about 60 collections per pass. Each costs ~2 ms on a bare heap but 60–85 ms
 * beside a loaded 128k-token tokenizer (84 MB of small objects): token statistics took 9.4
 * instead of 6.0 s per batch in the audit. Reused buffers are no new external memory.
 */
export const POOL_BYTES = 256 * 2 ** 20;

/**
 * Released addon buffers by exact byte length (tfjs-cpu's kernels read a tensor's whole
 * buffer, so a larger one cannot stand in), at most `limit` bytes in all, none larger than a
 * quarter of it; reused zeroed. When a buffer does not fit, the sizes used least recently are
 * given back first: an evaluation's batches differ in length, so each batch's sizes replace the
 * last one's.
 */
export class BufferPool {
  /** Free buffers per byte length, the least recently used length first. */
  private readonly free = new Map<number, ArrayBuffer[]>();
  private held = 0;

  constructor(readonly limit: number) {}

  /** Bytes held now. */
  get bytes(): number {
    return this.held;
  }

  /** A held buffer of exactly `bytes`, zeroed (as a fresh allocation is), or null. */
  take(bytes: number): ArrayBuffer | null {
    const list = this.free.get(bytes);
    const buffer = list?.pop();
    if (buffer === undefined) return null;
    this.touch(bytes, list!);
    this.held -= bytes;
    new Uint8Array(buffer).fill(0);
    return buffer;
  }

  /**
   * Keeps `buffer` for reuse; returns what the caller must release now: the buffer itself when
   * it is too large to pool, else the least recently used buffers it displaced (often none).
   */
  put(buffer: ArrayBuffer): ArrayBuffer[] {
    const bytes = buffer.byteLength;
    if (bytes === 0 || bytes > this.limit / 4) return [buffer];
    const released: ArrayBuffer[] = [];
    for (const [size, list] of this.free) {
      if (this.held + bytes <= this.limit) break;
      while (list.length > 0 && this.held + bytes > this.limit) {
        released.push(list.pop()!);
        this.held -= size;
      }
      if (list.length === 0) this.free.delete(size);
    }
    const list = this.free.get(bytes) ?? [];
    list.push(buffer);
    this.touch(bytes, list);
    this.held += bytes;
    return released;
  }

  /** Marks `bytes` the most recently used length (Map order), or drops it when emptied. */
  private touch(bytes: number, list: ArrayBuffer[]): void {
    this.free.delete(bytes);
    if (list.length > 0) this.free.set(bytes, list);
  }

  /** Every held buffer, emptying the pool. */
  drain(): ArrayBuffer[] {
    const all = [...this.free.values()].flat();
    this.free.clear();
    this.held = 0;
    return all;
  }
}

/**
 * tfjs-cpu's backend with the native kernels' outputs in addon-owned memory that is freed (or
 * pooled for reuse, `POOL_BYTES`) the moment a tensor is disposed: left to the garbage
 * collector, the freed buffers of a 0.5B train step piled up to gigabytes above the live
 * tensors, and the collections that reclaimed them ran inside whichever kernel allocated next
 * (bench/RESULTS.md "Real shapes").
 */
export class NativeCpuBackend extends MathBackendCPU {
  private readonly owned = new WeakSet<ArrayBufferLike>();
  readonly pool = new BufferPool(POOL_BYTES);

  constructor(private readonly addon: NativeAddon) {
    super();
  }

  allocate(size: number, dtype: DataType): ArrayBufferView {
    const bytes = dtype === 'bool' ? size : 4 * size;
    const buffer = this.pool.take(bytes) ?? this.fresh(bytes);
    this.owned.add(buffer);
    if (dtype === 'float32') return new Float32Array(buffer);
    if (dtype === 'int32') return new Int32Array(buffer);
    return new Uint8Array(buffer);
  }

  /** A new addon buffer; when memory runs out, the pool is given back first and it tries again. */
  private fresh(bytes: number): ArrayBuffer {
    for (let attempt = 0; ; attempt++) {
      try {
        return this.addon.alloc(bytes);
      } catch (error) {
        if ((error as { code?: string }).code !== 'ENOMEM') throw error;
        if (attempt > 0 || this.pool.bytes === 0) throw new OutOfMemoryError(bytes);
        for (const buffer of this.pool.drain()) this.addon.release(buffer);
      }
    }
  }

  override disposeData(dataId: DataId, force = false): boolean {
    const values = this.data.get(dataId)?.values as ArrayBufferView | undefined;
    const disposed = super.disposeData(dataId, force);
    if (disposed && values !== undefined && this.owned.has(values.buffer)) {
      this.owned.delete(values.buffer);
      for (const gone of this.pool.put(values.buffer as ArrayBuffer)) this.addon.release(gone);
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
