/**
 * Exp, Tanh and Sum for the wasm backend on the native addon when it is active (the stock wasm
 * kernels call scalar std::exp / std::tanh, 10-20 ns per element, and sum any axis but the last
 * after a transpose), and Identity without a copy. Each falls back to the stock kernel for what
 * it does not cover (other dtypes, sums over non-adjacent axes) or when no addon is active.
 */
import { Exp, Identity, Sum, Tanh, backend_util, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { nativeAddon } from './native-active.ts';
import type { WasmBackend } from './routing.ts';

type Stock = KernelFunc;

const offset = (backend: WasmBackend, t: TensorInfo): number =>
  backend.dataIdMap.get(t.dataId)!.memoryOffset;

/** Native op codes of addon.unary (native/addon.c). */
const UNARY_OPS = { [Exp]: 0, [Tanh]: 1 } as const;

function unary(name: typeof Exp | typeof Tanh, stock: Stock): KernelFunc {
  const op = UNARY_OPS[name];
  return (args) => {
    const addon = nativeAddon();
    const { x } = args.inputs as { x: TensorInfo };
    if (addon === null || x.dtype !== 'float32') return stock(args);
    const backend = args.backend as unknown as WasmBackend;
    const out = backend.makeOutput(x.shape, 'float32');
    const size = util.sizeFromShape(x.shape);
    if (size > 0) addon.unary(backend.wasm.HEAPU8, op, offset(backend, x), offset(backend, out), size);
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
    const backend = args.backend as unknown as WasmBackend;
    const out = backend.makeOutput(outShape, 'float32');
    const [outer, reduce, inner] = block;
    if (outer * inner > 0) {
      addon.sum(backend.wasm.HEAPU8, offset(backend, x), offset(backend, out), outer, reduce, inner);
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
  ];
}
