/**
 * `NepentheAdamW`: one AdamW step for one parameter as a single native pass over the wasm heap
 * (native/elementwise.c), instead of the 16 element-wise kernels (and 13 temporaries) the tfjs
 * composition runs per parameter. Inputs param, grad, m, v (float32, one shape); attr
 * `constants`, the float32 scalars b1, 1−b1, b2, 1−b2, c1, c2, eps, lr, 1−lr·wd, scale; outputs the new
 * param, m and v. Registered for wasm and the native backend; callers check
 * `nativeKernelsActive()` first. The tenth constant is the global-norm clip scale the gradient
 * is multiplied by first.
 *
 * With attr `inPlace` on the native backend, param, m and v are overwritten in their own buffers
 * and the kernel returns no outputs, when no other tensor shares those buffers (reference
 * copies made by tf.clone do): no parameter-sized allocations per step, and no old values left
 * for the garbage collector. Otherwise it returns new tensors as without the attr.
 */
import { engine, util } from '@tensorflow/tfjs-core';
import type { KernelConfig, TensorInfo } from '@tensorflow/tfjs-core';
import { nativeAddon, nativeKernelsActive } from './native-active.ts';
import { kernelMemory } from '../native/memory.ts';

export const NATIVE_ADAMW = 'NepentheAdamW';

export const nativeAdamWConfig: KernelConfig = {
  kernelName: NATIVE_ADAMW,
  backendName: 'wasm',
  kernelFunc: (args) => {
    const addon = nativeAddon();
    if (addon === null) throw new Error(`${NATIVE_ADAMW}: the native kernels are not active`);
    const { param, grad, m, v } = args.inputs as Record<'param' | 'grad' | 'm' | 'v', TensorInfo>;
    const constants = Float32Array.from(
      (args.attrs as unknown as { constants: number[] }).constants,
    );
    for (const t of [grad, m, v]) {
      if (!util.arraysEqual(t.shape, param.shape) || t.dtype !== 'float32') {
        throw new Error(`${NATIVE_ADAMW}: every input must be float32 of shape [${param.shape}]`);
      }
    }
    const mem = kernelMemory(args.backend);
    const { inPlace } = args.attrs as unknown as { inPlace?: boolean };
    const shared = args.backend as unknown as { refCount?(dataId: object): number };
    const alone = (t: TensorInfo): boolean => shared.refCount?.(t.dataId) === 1;
    const writable =
      inPlace === true &&
      alone(param) &&
      alone(m) &&
      alone(v) &&
      new Set([param.dataId, m.dataId, v.dataId, grad.dataId]).size === 4;
    const outs = writable ? [param, m, v] : [0, 1, 2].map(() => mem.output(param.shape, 'float32'));
    const n = util.sizeFromShape(param.shape);
    if (n > 0) {
      const at = mem.at;
      addon.adamw(
        mem.heap(),
        at(param),
        at(grad),
        at(m),
        at(v),
        at(outs[0]!),
        at(outs[1]!),
        at(outs[2]!),
        n,
        constants,
      );
    }
    return writable ? [] : outs;
  },
};

/**
 * Σ g² over every tensor, in double precision, in one native pass (the global gradient norm's
 * square), or null when the native kernels cannot run on these tensors (another backend, no
 * addon, a dtype other than float32).
 */
export function nativeSumOfSquares(tensors: readonly TensorInfo[]): number | null {
  const addon = nativeAddon();
  if (addon === null || !nativeKernelsActive()) return null;
  if (tensors.some((t) => t.dtype !== 'float32')) return null;
  const mem = kernelMemory(engine().backend);
  const offsets = new Float64Array(tensors.length);
  const sizes = new Float64Array(tensors.length);
  for (const [i, t] of tensors.entries()) {
    try {
      offsets[i] = mem.at(t);
    } catch {
      return null; // not on this backend's memory
    }
    sizes[i] = util.sizeFromShape(t.shape);
  }
  return addon.sumSquares(mem.heap(), offsets, sizes);
}
