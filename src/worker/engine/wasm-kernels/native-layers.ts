/**
 * Fused layer kernels for the wasm and native backends on the native addon (native/fused.c, softmax.c,
 * xent.c): GELU (tanh form), SwiGLU, LayerNorm, RMSNorm, attention's masked softmax and softmax
 * cross-entropy, forward and backward, one pass each. The model's ops use them through
 * tf.customGrad when `nativeKernelsActive()` (src/worker/model/architectures/fused-ops.ts), and
 * the tfjs composition everywhere else.
 *
 *   NepentheGeluTanh      x → y
 *   NepentheGeluTanhGrad  x, dy → dx
 *   NepentheLayerNorm     x (N, C), weight (C), bias (C); attr eps → y (N, C), mean (N), rstd (N)
 *   NepentheLayerNormGrad x, weight, mean, rstd, dy → dx (N, C), dWeight (C), dBias (C)
 *   NepentheSwiGlu        gate, up → silu(gate)·up
 *   NepentheSwiGluGrad    gate, up, dy → dGate, dUp
 *   NepentheRmsNorm       x (N, C), weight (C); attr eps → y (N, C), rstd (N)
 *   NepentheRmsNormGrad   x, weight, rstd, dy → dx (N, C), dWeight (C)
 *   NepentheMaskedSoftmax x (…, T, S), mask (T, S) optional → softmax(x + mask) over the last axis;
 *                         or x (B, H, T, S), mask (B, T, S): each batch row's mask for its H heads
 *   NepentheSoftmaxGrad   y, dy → dx = dy·y − Σ(dy·y)·y
 *   NepentheSoftmaxXent   logits (N, V), targets (N, int32) → loss (N), e = exp(z − max) (N, V),
 *                         s = Σ e (N)
 *   NepentheSoftmaxXentGrad e, s, targets, dy (N) → dLogits (N, V)
 *   NepentheBoundedWeight m = (B·A)ᵀ, base (d_in, d_out); attrs bound, omega, scale →
 *                         W₀ + f(m·ω)·scale (Bounded PEU's effective weight; native/bounded.c)
 *   NepentheBoundedGrad   m, base, dW; same attrs → that weight, and dL/dm = dW·f′(m·ω)·scale·ω
 *   NepentheSauImportance g, mask (in, out), weight (in, out) and norms (in) optional; attr
 *                         lambda → SAU's importance-redistributed gradient (native/sparsity.c;
 *                         Wanda scores with weight and norms, Fisher without)
 *   NepentheMaskKeep      w, mask → mask ≠ 0 ? w : +0
 */
import { util } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import type { NativeAddon } from '../native/addon.ts';
import { nativeAddon } from './native-active.ts';
import { kernelMemory, type KernelMemory } from '../native/memory.ts';

export const GELU_TANH = 'NepentheGeluTanh';
export const GELU_TANH_GRAD = 'NepentheGeluTanhGrad';
export const LAYER_NORM = 'NepentheLayerNorm';
export const LAYER_NORM_GRAD = 'NepentheLayerNormGrad';
export const SWIGLU = 'NepentheSwiGlu';
export const SWIGLU_GRAD = 'NepentheSwiGluGrad';
export const RMS_NORM = 'NepentheRmsNorm';
export const RMS_NORM_GRAD = 'NepentheRmsNormGrad';
export const MASKED_SOFTMAX = 'NepentheMaskedSoftmax';
export const SOFTMAX_GRAD = 'NepentheSoftmaxGrad';
export const SOFTMAX_XENT = 'NepentheSoftmaxXent';
export const SOFTMAX_XENT_GRAD = 'NepentheSoftmaxXentGrad';
export const BOUNDED_WEIGHT = 'NepentheBoundedWeight';
export const BOUNDED_GRAD = 'NepentheBoundedGrad';
export const SAU_IMPORTANCE = 'NepentheSauImportance';
export const MASK_KEEP = 'NepentheMaskKeep';

/** The bound functions' codes in native/bounded.c. */
const BOUND_CODE: Readonly<Record<string, number>> = { none: 0, sine: 1, tanh: 2 };

function boundedAttrs(name: string, attrs: Record<string, unknown>) {
  const bound = BOUND_CODE[String(attrs.bound)];
  const { omega, scale } = attrs as { omega: number; scale: number };
  if (bound === undefined || !Number.isFinite(omega) || !Number.isFinite(scale))
    throw new Error(`${name}: bad attrs ${JSON.stringify(attrs)}`);
  // lora.ts multiplies by the float32 scalar scale·ω (none: scale), computed in double.
  return { bound, omega, scale, gradScale: bound === 0 ? scale : scale * omega };
}

function sameShapes(name: string, tensors: Record<string, TensorInfo | undefined>): number {
  const [first, ...rest] = Object.entries(tensors);
  for (const [key, t] of rest)
    if (!util.arraysEqual(t!.shape, first![1]!.shape))
      throw new Error(
        `${name}: ${key} [${t!.shape}] and ${first![0]} [${first![1]!.shape}] differ`,
      );
  return util.sizeFromShape(first![1]!.shape);
}

type Body = (
  addon: NativeAddon,
  inputs: Record<string, TensorInfo>,
  mem: KernelMemory,
  at: (t: TensorInfo) => number,
  attrs: Record<string, unknown>,
) => TensorInfo | TensorInfo[];

function kernel(name: string, body: Body): KernelConfig {
  const kernelFunc: KernelFunc = (args) => {
    const addon = nativeAddon();
    if (addon === null) throw new Error(`${name}: the native kernels are not active`);
    const inputs = args.inputs as Record<string, TensorInfo>;
    for (const [key, t] of Object.entries(inputs)) {
      if (t.dtype !== (key === 'targets' ? 'int32' : 'float32'))
        throw new Error(`${name}: ${key} must be float32, got ${t.dtype}`);
    }
    const mem = kernelMemory(args.backend);
    return body(addon, inputs, mem, (t) => mem.at(t), args.attrs as Record<string, unknown>);
  };
  return { kernelName: name, backendName: 'wasm', kernelFunc };
}

function rowsAndWidth(name: string, x: TensorInfo, weight: TensorInfo): [number, number] {
  const c = x.shape.at(-1) ?? 0;
  if (x.shape.length < 1 || weight.shape.length !== 1 || weight.shape[0] !== c || c === 0) {
    throw new Error(`${name}: x [${x.shape}] and weight [${weight.shape}] do not match`);
  }
  return [util.sizeFromShape(x.shape) / c, c];
}

export const nativeLayerKernels: readonly KernelConfig[] = [
  kernel(SAU_IMPORTANCE, (addon, { g, mask, weight, norms }, mem, at, attrs) => {
    const n = sameShapes(SAU_IMPORTANCE, weight ? { g, mask, weight } : { g, mask });
    const [inputs, width] = g!.shape as [number, number];
    if (g!.shape.length !== 2 || (weight === undefined) !== (norms === undefined))
      throw new Error(
        `${SAU_IMPORTANCE}: g [${g!.shape}] must be (in, out), with both weight and norms or neither`,
      );
    if (norms && !util.arraysEqual(norms.shape, [inputs]))
      throw new Error(`${SAU_IMPORTANCE}: norms [${norms.shape}] must be [${inputs}]`);
    const lambda = Number(attrs.lambda);
    if (!Number.isFinite(lambda)) throw new Error(`${SAU_IMPORTANCE}: bad lambda ${attrs.lambda}`);
    const out = mem.output(g!.shape, 'float32');
    if (n > 0)
      addon.sauImportance(
        mem.heap(),
        at(g!),
        at(mask!),
        weight ? at(weight) : -1,
        norms ? at(norms) : -1,
        at(out),
        inputs,
        width,
        lambda,
      );
    return out;
  }),
  kernel(MASK_KEEP, (addon, { w, mask }, mem, at) => {
    const n = sameShapes(MASK_KEEP, { w, mask });
    const out = mem.output(w!.shape, 'float32');
    if (n > 0) addon.maskKeep(mem.heap(), at(w!), at(mask!), at(out), n);
    return out;
  }),
  kernel(BOUNDED_WEIGHT, (addon, { m, base }, mem, at, attrs) => {
    const n = sameShapes(BOUNDED_WEIGHT, { m, base });
    const c = boundedAttrs(BOUNDED_WEIGHT, attrs);
    const w = mem.output(m!.shape, 'float32');
    if (n > 0)
      addon.bounded(mem.heap(), c.bound, at(m!), at(base!), -1, at(w), -1, n, c.omega, c.scale, 0);
    return w;
  }),
  kernel(BOUNDED_GRAD, (addon, { m, base, dw }, mem, at, attrs) => {
    const n = sameShapes(BOUNDED_GRAD, { m, base, dw });
    const c = boundedAttrs(BOUNDED_GRAD, attrs);
    const w = mem.output(m!.shape, 'float32');
    const dm = mem.output(m!.shape, 'float32');
    if (n > 0)
      addon.bounded(
        mem.heap(),
        c.bound,
        at(m!),
        at(base!),
        at(dw!),
        at(w),
        at(dm),
        n,
        c.omega,
        c.scale,
        c.gradScale,
      );
    return [w, dm];
  }),
  kernel(GELU_TANH, (addon, { x }, mem, at) => {
    const y = mem.output(x!.shape, 'float32');
    const n = util.sizeFromShape(x!.shape);
    if (n > 0) addon.unary(mem.heap(), 2, at(x!), at(y), n);
    return y;
  }),
  kernel(GELU_TANH_GRAD, (addon, { x, dy }, mem, at) => {
    if (!util.arraysEqual(x!.shape, dy!.shape))
      throw new Error(`${GELU_TANH_GRAD}: x [${x!.shape}] and dy [${dy!.shape}] differ`);
    const dx = mem.output(x!.shape, 'float32');
    const n = util.sizeFromShape(x!.shape);
    if (n > 0) addon.geluGrad(mem.heap(), at(x!), at(dy!), at(dx), n);
    return dx;
  }),
  kernel(LAYER_NORM, (addon, { x, weight, bias }, mem, at, attrs) => {
    const [rows, c] = rowsAndWidth(LAYER_NORM, x!, weight!);
    const y = mem.output(x!.shape, 'float32');
    const mean = mem.output([rows], 'float32');
    const rstd = mem.output([rows], 'float32');
    if (rows > 0) {
      addon.layerNorm(
        mem.heap(),
        at(x!),
        at(weight!),
        at(bias!),
        at(y),
        at(mean),
        at(rstd),
        rows,
        c,
        attrs.eps as number,
      );
    }
    return [y, mean, rstd];
  }),
  kernel(SWIGLU, (addon, { gate, up }, mem, at) => {
    if (!util.arraysEqual(gate!.shape, up!.shape))
      throw new Error(`${SWIGLU}: gate [${gate!.shape}] and up [${up!.shape}] differ`);
    const y = mem.output(gate!.shape, 'float32');
    const n = util.sizeFromShape(gate!.shape);
    if (n > 0) addon.swiglu(mem.heap(), at(gate!), at(up!), at(y), n);
    return y;
  }),
  kernel(SWIGLU_GRAD, (addon, { gate, up, dy }, mem, at) => {
    const dGate = mem.output(gate!.shape, 'float32');
    const dUp = mem.output(gate!.shape, 'float32');
    const n = util.sizeFromShape(gate!.shape);
    if (n > 0) addon.swigluGrad(mem.heap(), at(gate!), at(up!), at(dy!), at(dGate), at(dUp), n);
    return [dGate, dUp];
  }),
  kernel(RMS_NORM, (addon, { x, weight }, mem, at, attrs) => {
    const [rows, c] = rowsAndWidth(RMS_NORM, x!, weight!);
    const y = mem.output(x!.shape, 'float32');
    const rstd = mem.output([rows], 'float32');
    if (rows > 0) {
      const eps = attrs.eps as number;
      addon.rmsNorm(mem.heap(), at(x!), at(weight!), at(y), at(rstd), rows, c, eps);
    }
    return [y, rstd];
  }),
  kernel(RMS_NORM_GRAD, (addon, { x, weight, rstd, dy }, mem, at) => {
    const [rows, c] = rowsAndWidth(RMS_NORM_GRAD, x!, weight!);
    const dx = mem.output(x!.shape, 'float32');
    const dw = mem.output([c], 'float32');
    const heap = mem.heap();
    addon.rmsNormGrad(heap, at(x!), at(weight!), at(rstd!), at(dy!), at(dx), at(dw), rows, c);
    return [dx, dw];
  }),
  kernel(MASKED_SOFTMAX, (addon, { x, mask }, mem, at) => {
    const s = x!.shape.at(-1) ?? 0;
    const perRow = mask?.shape.length === 3; // (B, T, S) for x (B, H, T, S)
    const t = mask ? mask.shape.at(-2)! : 1;
    if (
      x!.shape.length < 2 ||
      (mask && (mask.shape.length < 2 || mask.shape.length > 3 || mask.shape.at(-1) !== s))
    )
      throw new Error(`${MASKED_SOFTMAX}: x [${x!.shape}] and mask [${mask?.shape ?? ''}]`);
    if (
      (mask && x!.shape.at(-2) !== t) ||
      (perRow && (x!.shape.length !== 4 || x!.shape[0] !== mask.shape[0]))
    )
      throw new Error(`${MASKED_SOFTMAX}: mask [${mask!.shape}] does not fit x [${x!.shape}]`);
    const y = mem.output(x!.shape, 'float32');
    const rows = s === 0 ? 0 : util.sizeFromShape(x!.shape) / s;
    if (rows > 0) {
      const maskAt = mask ? at(mask) : -1;
      addon.maskedSoftmax(mem.heap(), at(x!), maskAt, at(y), rows, s, t, perRow ? x!.shape[1]! : 0);
    }
    return y;
  }),
  kernel(SOFTMAX_GRAD, (addon, { y, dy }, mem, at) => {
    const s = y!.shape.at(-1) ?? 0;
    const dx = mem.output(y!.shape, 'float32');
    const rows = s === 0 ? 0 : util.sizeFromShape(y!.shape) / s;
    if (rows > 0) addon.softmaxGrad(mem.heap(), at(y!), at(dy!), at(dx), rows, s);
    return dx;
  }),
  kernel(SOFTMAX_XENT, (addon, { logits, targets }, mem, at) => {
    const [n, v] = logits!.shape as [number, number];
    if (logits!.shape.length !== 2 || targets!.shape.length !== 1 || targets!.shape[0] !== n)
      throw new Error(`${SOFTMAX_XENT}: logits [${logits!.shape}] and targets [${targets!.shape}]`);
    const loss = mem.output([n], 'float32');
    const e = mem.output([n, v], 'float32');
    const s = mem.output([n], 'float32');
    if (n > 0) {
      try {
        addon.xentForward(mem.heap(), at(logits!), at(targets!), at(loss), at(e), at(s), n, v);
      } catch (error) {
        for (const t of [loss, e, s]) mem.dispose(t);
        throw error;
      }
    }
    return [loss, e, s];
  }),
  kernel(SOFTMAX_XENT_GRAD, (addon, { e, s, targets, dy }, mem, at) => {
    const [n, v] = e!.shape as [number, number];
    const dz = mem.output([n, v], 'float32');
    if (n > 0) addon.xentBackward(mem.heap(), at(e!), at(s!), at(targets!), at(dy!), at(dz), n, v);
    return dz;
  }),
  kernel(LAYER_NORM_GRAD, (addon, { x, weight, mean, rstd, dy }, mem, at) => {
    const [rows, c] = rowsAndWidth(LAYER_NORM_GRAD, x!, weight!);
    const dx = mem.output(x!.shape, 'float32');
    const dw = mem.output([c], 'float32');
    const db = mem.output([c], 'float32');
    addon.layerNormGrad(
      mem.heap(),
      at(x!),
      at(weight!),
      at(mean!),
      at(rstd!),
      at(dy!),
      at(dx),
      at(dw),
      at(db),
      rows,
      c,
    );
    return [dx, dw, db];
  }),
];
