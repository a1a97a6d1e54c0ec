/**
 * Exp, Tanh and Sum for the wasm backend on the native addon when it is active (the stock wasm
 * kernels call scalar std::exp / std::tanh, 10-20 ns per element, and sum any axis but the last
 * after a transpose), SplitV / Concat / Slice / row GatherV2 / Transpose keeping the last axis as
 * block copies (the stock ones go element
 * by element), and Identity and same-dtype Cast without a copy. Each falls back to the stock kernel for what
 * it does not cover (other dtypes, sums over non-adjacent axes) or when no addon is active.
 */
import {
  Cast,
  Concat,
  Exp,
  GatherV2,
  Identity,
  Slice,
  SplitV,
  Sum,
  Tanh,
  Transpose,
  backend_util,
  slice_util,
  util,
} from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { nativeAddon } from './native-active.ts';
import { isWasmBackend, kernelMemory } from '../native/memory.ts';
import type { WasmBackend } from './routing.ts';

type Stock = KernelFunc;

/** Native op codes of addon.unary (native/addon.c). */
const UNARY_OPS = { [Exp]: 0, [Tanh]: 1 } as const;

function unary(name: typeof Exp | typeof Tanh, stock: Stock): KernelFunc {
  const op = UNARY_OPS[name];
  return (args) => {
    const addon = nativeAddon();
    const { x } = args.inputs as { x: TensorInfo };
    if (addon === null || x.dtype !== 'float32') return stock(args);
    const mem = kernelMemory(args.backend);
    const out = mem.output(x.shape, 'float32');
    const size = util.sizeFromShape(x.shape);
    if (size > 0) addon.unary(mem.heap(), op, mem.at(x), mem.at(out), size);
    return out;
  };
}

/** (outer, reduce, inner) when `axes` (sorted, distinct) are adjacent, else null. */
function blockOf(shape: number[], axes: number[]): [number, number, number] | null {
  for (let i = 1; i < axes.length; i++) if (axes[i] !== axes[i - 1]! + 1) return null;
  const first = axes[0]!;
  const last = axes.at(-1)!;
  return [
    util.sizeFromShape(shape.slice(0, first)),
    util.sizeFromShape(shape.slice(first, last + 1)),
    util.sizeFromShape(shape.slice(last + 1)),
  ];
}

function sum(stock: Stock): KernelFunc {
  return (args) => {
    const addon = nativeAddon();
    const { x } = args.inputs as { x: TensorInfo };
    const { axis, keepDims } = args.attrs as unknown as {
      axis: number | number[];
      keepDims: boolean;
    };
    if (addon === null || x.dtype !== 'float32' || x.shape.length === 0) return stock(args);
    const axes = [...new Set(util.parseAxisParam(axis, x.shape))].sort((a, b) => a - b);
    if (axes.length === 0) return stock(args);
    const block = blockOf(x.shape, axes);
    if (block === null) return stock(args);
    const kept = x.shape.filter((_, i) => !axes.includes(i));
    const outShape = keepDims ? backend_util.expandShapeToKeepDim(kept, axes) : kept;
    const mem = kernelMemory(args.backend);
    const out = mem.output(outShape, 'float32');
    const [outer, reduce, inner] = block;
    if (outer * inner > 0) {
      addon.sum(mem.heap(), mem.at(x), mem.at(out), outer, reduce, inner);
    }
    return out;
  };
}

/** Shares x's buffer (tensors are immutable), as the cpu and webgpu backends do. */
function identity(stock: Stock): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    if (nativeAddon() === null || x.dtype === 'string') return stock(args);
    const backend = args.backend as unknown as WasmBackend & { incRef(id: object): void };
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/**
 * x ≠ 0 as bool, whether or not the addon is active: tfjs-backend-wasm 4.22's Cast copies with
 * TypedArray.set, which truncates to the low byte (0.5 → false, 256 → false, 2.7 → 2).
 */
function castToBool(x: TensorInfo, backend: WasmBackend): TensorInfo {
  const out = backend.makeOutput(x.shape, 'bool');
  const n = util.sizeFromShape(x.shape);
  if (n === 0) return out;
  const heap = backend.wasm.HEAPU8;
  const at = (t: TensorInfo): number => backend.dataIdMap.get(t.dataId)!.memoryOffset;
  const values =
    x.dtype === 'int32'
      ? new Int32Array(heap.buffer, at(x), n)
      : new Float32Array(heap.buffer, at(x), n);
  const bools = new Uint8Array(heap.buffer, at(out), n);
  for (let i = 0; i < n; i++) bools[i] = values[i] !== 0 ? 1 : 0; // NaN ≠ 0: true, as cpu
  return out;
}

/**
 * A cast to float32 or int32 as values of that type. tfjs-cpu's Cast shares the buffer when the
 * cast loses nothing (bool → float32 keeps a Uint8Array under a float32 tensor), which its own
 * kernels read through indexing but native kernels, reading raw floats, cannot.
 */
function widened(x: TensorInfo, dtype: 'float32' | 'int32', backend: unknown): TensorInfo {
  const mem = kernelMemory(backend);
  const out = mem.output(x.shape, dtype);
  const source = (backend as { data: { get(id: object): { values: ArrayLike<number> } } }).data.get(
    x.dataId,
  ).values;
  const target = (
    backend as { data: { get(id: object): { values: Float32Array | Int32Array } } }
  ).data.get(out.dataId).values;
  if (dtype === 'int32' && x.dtype === 'float32')
    for (let i = 0; i < target.length; i++) target[i] = Math.trunc(source[i]!);
  else target.set(source);
  return out;
}

/** A cast to the dtype x already has shares x's buffer (autodiff casts every Multiply operand). */
function cast(stock: Stock): KernelFunc {
  return (args) => {
    const { x } = args.inputs as { x: TensorInfo };
    const { dtype } = args.attrs as unknown as { dtype: string };
    if (
      dtype === 'bool' &&
      (x.dtype === 'float32' || x.dtype === 'int32') &&
      isWasmBackend(args.backend)
    )
      return castToBool(x, args.backend as unknown as WasmBackend);
    if (
      !isWasmBackend(args.backend) &&
      x.dtype !== dtype &&
      (dtype === 'float32' || dtype === 'int32') &&
      x.dtype !== 'string' &&
      x.dtype !== 'complex64'
    )
      return widened(x, dtype, args.backend);
    if (nativeAddon() === null || x.dtype !== dtype || x.dtype === 'string') return stock(args);
    const backend = args.backend as unknown as WasmBackend & { incRef(id: object): void };
    backend.incRef(x.dataId);
    return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
  };
}

/** (outer, axis length, inner) of `shape` around `axis`. */
function around(shape: number[], axis: number): [number, number, number] {
  return [
    util.sizeFromShape(shape.slice(0, axis)),
    shape[axis]!,
    util.sizeFromShape(shape.slice(axis + 1)),
  ];
}

/** SplitV as one strided block copy per output (the stock kernel slices element by element). */
function splitV(stock: Stock): KernelFunc {
  return (args) => {
    const addon = nativeAddon();
    const { x } = args.inputs as { x: TensorInfo };
    if (addon === null || x.dtype !== 'float32') return stock(args);
    const { numOrSizeSplits, axis } = args.attrs as unknown as {
      numOrSizeSplits: number | number[];
      axis: number;
    };
    const mem = kernelMemory(args.backend);
    const dim = util.parseAxisParam(axis, x.shape)[0]!;
    const sizes = backend_util.prepareSplitSize(
      x as unknown as Parameters<typeof backend_util.prepareSplitSize>[0],
      numOrSizeSplits,
      dim,
    );
    const [outer, length, inner] = around(x.shape, dim);
    let start = 0;
    return sizes.map((size) => {
      const shape = [...x.shape];
      shape[dim] = size;
      const out = mem.output(shape, 'float32');
      if (outer > 0 && size * inner > 0) {
        const from = mem.at(x) + start * inner * 4;
        const heap = mem.heap();
        addon.copyBlocks(
          heap,
          from,
          mem.at(out),
          outer,
          size * inner,
          length * inner,
          size * inner,
        );
      }
      start += size;
      return out;
    });
  };
}

/** Concat as one strided block copy per input. */
function concat(stock: Stock): KernelFunc {
  return (args) => {
    const addon = nativeAddon();
    const parts = args.inputs as unknown as TensorInfo[];
    if (addon === null || parts.length === 0 || parts.some((t) => t.dtype !== 'float32'))
      return stock(args);
    const { axis } = args.attrs as unknown as { axis: number };
    const dim = util.parseAxisParam(axis, parts[0]!.shape)[0]!;
    const outShape = backend_util.computeOutShape(
      parts.map((t) => t.shape),
      dim,
    );
    const mem = kernelMemory(args.backend);
    const out = mem.output(outShape, 'float32');
    const [outer, length, inner] = around(outShape, dim);
    let start = 0;
    for (const part of parts) {
      const size = part.shape[dim]!;
      if (outer > 0 && size * inner > 0) {
        const to = mem.at(out) + start * inner * 4;
        const heap = mem.heap();
        addon.copyBlocks(heap, mem.at(part), to, outer, size * inner, size * inner, length * inner);
      }
      start += size;
    }
    return out;
  };
}

/** GatherV2 of whole rows (axis 0, no batch dims): one copy per index, indices checked. */
function gatherV2(stock: Stock): KernelFunc {
  return (args) => {
    const addon = nativeAddon();
    const { x, indices } = args.inputs as { x: TensorInfo; indices: TensorInfo };
    const { axis, batchDims } = args.attrs as unknown as { axis: number; batchDims: number };
    if (
      addon === null ||
      x.dtype !== 'float32' ||
      indices.dtype !== 'int32' ||
      (batchDims ?? 0) !== 0 ||
      x.shape.length === 0 ||
      util.parseAxisParam(axis, x.shape)[0] !== 0
    )
      return stock(args);
    const mem = kernelMemory(args.backend);
    const rows = x.shape[0]!;
    const width = util.sizeFromShape(x.shape.slice(1));
    const count = util.sizeFromShape(indices.shape);
    const out = mem.output([...indices.shape, ...x.shape.slice(1)], 'float32');
    if (count > 0 && width > 0) {
      const heap = mem.heap();
      try {
        addon.gatherRows(heap, mem.at(x), rows, width, mem.at(indices), count, mem.at(out));
      } catch (error) {
        mem.dispose(out);
        throw new Error(`GatherV2: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return out;
  };
}

/**
 * Slice of 4-byte values as block copies: the trailing axes the slice takes whole form one
 * contiguous run per position of the leading axes (the stock kernel walks element by element).
 */
function slice(stock: Stock): KernelFunc {
  return (args) => {
    const addon = nativeAddon();
    const { x } = args.inputs as { x: TensorInfo };
    if (addon === null || (x.dtype !== 'float32' && x.dtype !== 'int32') || x.shape.length === 0)
      return stock(args);
    const attrs = args.attrs as unknown as { begin: number | number[]; size: number | number[] };
    const [begin, size] = slice_util.parseSliceParams(
      x as unknown as Parameters<typeof slice_util.parseSliceParams>[0],
      attrs.begin,
      attrs.size,
    ) as [number[], number[]];
    const mem = kernelMemory(args.backend);
    const out = mem.output(size, x.dtype);
    if (util.sizeFromShape(size) === 0) return out;
    const rank = x.shape.length;
    // j: the first axis from which every later axis is taken whole.
    let j = rank - 1;
    while (j > 0 && begin[j] === 0 && size[j] === x.shape[j]) j--;
    const inner = util.sizeFromShape(x.shape.slice(j + 1));
    const run = size[j]! * inner; // contiguous values per position of axes < j
    const strides = util.computeStrides(x.shape); // in values; strides[rank-1] is implicit 1
    const stride = (axis: number): number => (axis === rank - 1 ? 1 : strides[axis]!);
    const xBase = mem.at(x);
    const outBase = mem.at(out);
    // Axis j-1 is one copyBlocks call; the axes before it are walked here.
    const walked = j >= 1 ? size.slice(0, j - 1) : [];
    const blocks = j >= 1 ? size[j - 1]! : 1;
    const blockStride = j >= 1 ? stride(j - 1) : 0;
    const count = util.sizeFromShape(walked);
    const position = new Array<number>(walked.length).fill(0);
    for (let c = 0; c < count; c++) {
      let from = begin[j]! * inner + (j >= 1 ? begin[j - 1]! * blockStride : 0);
      for (let d = 0; d < walked.length; d++) from += (begin[d]! + position[d]!) * stride(d);
      const to = c * blocks * run;
      const heap = mem.heap();
      addon.copyBlocks(heap, xBase + from * 4, outBase + to * 4, blocks, run, blockStride, run);
      for (let d = walked.length - 1; d >= 0; d--) {
        if (++position[d]! < walked[d]!) break;
        position[d] = 0;
      }
    }
    return out;
  };
}

/**
 * Transpose that keeps the last axis in place (attention's head split and merge, (B, T, nh, hs)
 * ↔ (B, nh, T, hs)) as strided block copies of whole rows: one copyBlocks call per position of
 * the output's leading axes. Other permutations go to the stock kernel.
 */
function transpose(stock: Stock): KernelFunc {
  return (args) => {
    const addon = nativeAddon();
    const { x } = args.inputs as { x: TensorInfo };
    const { perm } = args.attrs as unknown as { perm: number[] };
    const rank = x.shape.length;
    if (addon !== null && x.dtype !== 'string' && perm.every((axis, i) => axis === i)) {
      // The identity permutation (the gather gradient makes them, on the whole embedding).
      const backend = args.backend as unknown as { incRef(id: object): void };
      backend.incRef(x.dataId);
      return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
    }
    if (
      addon === null ||
      (x.dtype !== 'float32' && x.dtype !== 'int32') ||
      rank < 3 ||
      perm[rank - 1] !== rank - 1
    )
      return stock(args);
    const mem = kernelMemory(args.backend);
    const outShape = perm.map((axis) => x.shape[axis]!);
    const out = mem.output(outShape, x.dtype);
    if (util.sizeFromShape(outShape) === 0) return out;
    const strides = [...util.computeStrides(x.shape), 1]; // values per step of each input axis
    const row = x.shape[rank - 1]!;
    const blocks = outShape[rank - 2]!;
    const blockStride = strides[perm[rank - 2]!]!;
    const leading = outShape.slice(0, rank - 2);
    const count = util.sizeFromShape(leading);
    const position = new Array<number>(leading.length).fill(0);
    const xBase = mem.at(x);
    const outBase = mem.at(out);
    const heap = mem.heap();
    for (let c = 0; c < count; c++) {
      let from = 0;
      for (let d = 0; d < leading.length; d++) from += position[d]! * strides[perm[d]!]!;
      const to = c * blocks * row;
      addon.copyBlocks(heap, xBase + from * 4, outBase + to * 4, blocks, row, blockStride, row);
      for (let d = leading.length - 1; d >= 0; d--) {
        if (++position[d]! < leading[d]!) break;
        position[d] = 0;
      }
    }
    return out;
  };
}

/** Configs replacing the stock kernels in `stock` (by name). */
export function nativeElementwiseKernels(stock: (name: string) => KernelConfig): KernelConfig[] {
  const wrap = (name: string, make: (s: Stock) => KernelFunc): KernelConfig => {
    const config = stock(name);
    return { ...config, kernelFunc: make(config.kernelFunc) };
  };
  return [
    wrap(Exp, (s) => unary(Exp, s)),
    wrap(Tanh, (s) => unary(Tanh, s)),
    wrap(Sum, sum),
    wrap(Identity, identity),
    wrap(Cast, cast),
    wrap(SplitV, splitV),
    wrap(Concat, concat),
    wrap(GatherV2, gatherV2),
    wrap(Slice, slice),
    wrap(Transpose, transpose),
  ];
}
