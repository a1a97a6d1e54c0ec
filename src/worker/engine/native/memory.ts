/**
 * Where a native kernel's tensors live, as the addon addresses them (native/addon.c): one
 * `KernelMemory` per kernel call hides whether the backend is tfjs-backend-wasm (every tensor in
 * one 32-bit heap, addressed by byte offset) or the native CPU backend (every tensor its own
 * typed array, tfjs-cpu's storage: the heap argument is the list of the call's arrays and an
 * offset is slot · 2^40 + byte offset), so one kernel body serves both.
 */
import type { DataId, DataType, TensorInfo } from '@tensorflow/tfjs-core';
import { util } from '@tensorflow/tfjs-core';

/** What the addon takes as its `heap` argument. */
export type AddonHeap = Uint8Array | ArrayBufferView[];

export interface KernelMemory {
  /** A new zero-filled output of float32, int32 or bool values. */
  output(shape: number[], dtype: DataType): TensorInfo;
  /** The heap argument for the addon; read it after the call's outputs exist (wasm's heap grows). */
  heap(): AddonHeap;
  /** The addon offset of t's first value in `heap()`. */
  at(t: TensorInfo): number;
  /** t's values as float32 (JS-side fills and reads); valid until the next allocation. */
  floats(t: TensorInfo): Float32Array;
  /** Frees an output this call made (on failure). */
  dispose(t: TensorInfo): void;
}

/** The parts of tfjs-backend-wasm's BackendWasm (4.22) used here. */
interface WasmLike {
  wasm: { HEAPU8: Uint8Array };
  dataIdMap: { get(dataId: DataId): { memoryOffset: number } | undefined };
  makeOutput(shape: number[], dtype: DataType): TensorInfo;
  disposeData(dataId: DataId): boolean;
}

/** The parts of tfjs-backend-cpu's MathBackendCPU (4.22) used here, plus the native backend's allocator. */
interface CpuLike {
  allocate?(size: number, dtype: DataType): ArrayBufferView;
  data: { get(dataId: DataId): { values?: ArrayBufferView } | undefined };
  makeTensorInfo(shape: number[], dtype: DataType, values?: ArrayBufferView): TensorInfo;
  disposeIntermediateTensorInfo(t: TensorInfo): void;
}

/** The bytes between slots of the native backend's heap list (native/addon.c NEP_SLOT). */
export const SLOT_BYTES = 2 ** 40;

export function isWasmBackend(backend: unknown): backend is WasmLike {
  return typeof backend === 'object' && backend !== null && 'wasm' in backend;
}

export function kernelMemory(backend: unknown): KernelMemory {
  return isWasmBackend(backend) ? wasmMemory(backend) : typedArrayMemory(backend as CpuLike);
}

function wasmMemory(backend: WasmLike): KernelMemory {
  const at = (t: TensorInfo): number => {
    const data = backend.dataIdMap.get(t.dataId);
    if (data === undefined) throw new Error('native kernel: a tensor is not on the wasm backend');
    return data.memoryOffset;
  };
  return {
    output: (shape, dtype) => backend.makeOutput(shape, dtype),
    heap: () => backend.wasm.HEAPU8,
    at,
    floats: (t) => new Float32Array(backend.wasm.HEAPU8.buffer, at(t), util.sizeFromShape(t.shape)),
    dispose: (t) => void backend.disposeData(t.dataId),
  };
}

function typedArrayMemory(backend: CpuLike): KernelMemory {
  const slots: ArrayBufferView[] = [];
  const slotOf = new Map<ArrayBufferView, number>();
  const values = (t: TensorInfo): ArrayBufferView => {
    const v = backend.data.get(t.dataId)?.values;
    if (v === undefined) throw new Error('native kernel: a tensor has no values on this backend');
    // Raw floats or ints are read as the tensor's dtype: a view of another type would be misread.
    const expected = t.dtype === 'float32' ? Float32Array : t.dtype === 'int32' ? Int32Array : null;
    if (expected !== null && !(v instanceof expected))
      throw new Error(`native kernel: a ${t.dtype} tensor holds a ${v.constructor.name}`);
    return v;
  };
  return {
    output: (shape, dtype) => {
      const size = util.sizeFromShape(shape);
      const array = backend.allocate
        ? backend.allocate(size, dtype)
        : dtype === 'float32'
          ? new Float32Array(size)
          : dtype === 'int32'
            ? new Int32Array(size)
            : new Uint8Array(size);
      return backend.makeTensorInfo(shape, dtype, array);
    },
    heap: () => slots,
    at: (t) => {
      const v = values(t);
      let slot = slotOf.get(v);
      if (slot === undefined) {
        slot = slots.length;
        slots.push(v);
        slotOf.set(v, slot);
      }
      return slot * SLOT_BYTES;
    },
    floats: (t) => values(t) as Float32Array, // values() checked it matches float32
    dispose: (t) => backend.disposeIntermediateTensorInfo(t),
  };
}
