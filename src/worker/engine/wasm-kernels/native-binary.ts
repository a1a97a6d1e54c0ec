/**
 * Add, Sub, Multiply and RealDiv of float32 tensors for the native backend, as one native pass
 * (tfjs-cpu's go element by element through index arithmetic: 30 ms for a residual add at
 * 0.5B): equal shapes, one operand a scalar or trailing-axes broadcast, or a broadcast that keeps
 * the last axis (RoPE). Other broadcasts go to the stock kernel; wasm keeps XNNPACK's own.
 */
import { Add, Multiply, RealDiv, Sub, broadcast_util, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { kernelMemory } from '../native/memory.ts';
import { nativeAddon } from './native-active.ts';
import { broadcastIndex } from './routing.ts';

type Stock = KernelFunc;

/** Native op codes of addon.binary (native/addon.c). */
const BINARY_OPS = { [Add]: 0, [Sub]: 1, [Multiply]: 2, [RealDiv]: 3 } as const;

/** Whether `small` broadcasts onto `big` along big's leading axes only (a scalar, a bias row). */
function trailingOf(big: number[], small: number[]): boolean {
  if (small.length > big.length) return false;
  let first = 0;
  while (first < small.length && small[first] === 1) first++;
  const rest = small.slice(first);
  return rest.every((size, i) => size === big[big.length - rest.length + i]);
}

/** One of the four ops; `rowBroadcast` for what neither trailing case covers. */
function binary(name: keyof typeof BINARY_OPS, stock: Stock): KernelFunc {
  const op = BINARY_OPS[name];
  const commutes = name === Add || name === Multiply;
  return (args) => {
    const addon = nativeAddon();
    const { a, b } = args.inputs as { a: TensorInfo; b: TensorInfo };
    if (addon === null || a.dtype !== 'float32' || b.dtype !== 'float32') return stock(args);
    let [big, small] = [a, b];
    if (!trailingOf(a.shape, b.shape)) {
      if (!commutes || !trailingOf(b.shape, a.shape)) return rowBroadcast(op, a, b, args, stock);
      [big, small] = [b, a];
    }
    const mem = kernelMemory(args.backend);
    const out = mem.output(big.shape, 'float32');
    const n = util.sizeFromShape(big.shape);
    if (n > 0) {
      const bn = util.sizeFromShape(small.shape);
      addon.binary(mem.heap(), op, mem.at(big), mem.at(small), mem.at(out), n, bn);
    }
    return out;
  };
}

/**
 * A broadcast that keeps the last axis (RoPE's (B, T, nh, hs) · (1, T, 1, hs)): one native pass
 * over rows with each operand's row picked by index; other broadcasts go to the stock kernel.
 */
function rowBroadcast(
  op: number,
  a: TensorInfo,
  b: TensorInfo,
  args: Parameters<KernelFunc>[0],
  stock: Stock,
): TensorInfo | TensorInfo[] {
  const addon = nativeAddon()!;
  const width = a.shape.at(-1);
  if (width === undefined || width === 0 || b.shape.at(-1) !== width) return stock(args);
  let outShape: number[];
  try {
    outShape = broadcast_util.assertAndGetBroadcastShape(a.shape, b.shape);
  } catch {
    return stock(args);
  }
  const mem = kernelMemory(args.backend);
  const out = mem.output(outShape, 'float32');
  const rowsShape = outShape.slice(0, -1);
  const aIndex = broadcastIndex(rowsShape, a.shape.slice(0, -1));
  const bIndex = broadcastIndex(rowsShape, b.shape.slice(0, -1));
  const rowsOf = (t: TensorInfo): number => util.sizeFromShape(t.shape) / width;
  if (aIndex.length > 0) {
    const heap = mem.heap();
    addon.binaryRows(
      heap,
      op,
      mem.at(a),
      rowsOf(a),
      aIndex,
      mem.at(b),
      rowsOf(b),
      bIndex,
      mem.at(out),
      width,
    );
  }
  return out;
}

/** The native backend's binary kernels over tfjs-cpu's (wasm's own run on XNNPACK). */
export function nativeBinaryKernels(stock: (name: string) => KernelConfig): KernelConfig[] {
  return ([Add, Sub, Multiply, RealDiv] as const).map((name) => {
    const config = stock(name);
    return { ...config, kernelFunc: binary(name, config.kernelFunc) };
  });
}
