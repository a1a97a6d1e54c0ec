/**
 * _FusedMatMul for the wasm backend (tf.fused.matMul: bias, activation), routed like BatchMatMul
 * (batch-mat-mul.ts) where XNNPACK's path is correct, else composed as the cpu backend does it.
 */
import { getKernel, util } from '@tensorflow/tfjs-core';
import type { KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import {
  BACKEND,
  productShape,
  stockIsFast,
  untransposed,
  type MatMulAttrs,
  type WasmBackend,
} from './routing.ts';
import { nativeAddon } from './native-active.ts';
import { nativeBatchMatMul } from './native-mat-mul.ts';

/** Runs the wasm kernel `name` directly (not through the engine: the result is an intermediate). */
function runWasmKernel(
  name: string,
  inputs: Record<string, TensorInfo>,
  backend: WasmBackend,
  attrs: Record<string, unknown> = {},
): TensorInfo {
  const kernel = getKernel(name, BACKEND);
  if (!kernel) throw new Error(`wasm backend has no ${name} kernel`);
  return kernel.kernelFunc({
    inputs,
    backend,
    attrs,
  } as unknown as Parameters<KernelFunc>[0]) as TensorInfo;
}

const ACTIVATION_KERNELS: Readonly<Record<string, string>> = {
  relu: 'Relu',
  relu6: 'Relu6',
  elu: 'Elu',
  sigmoid: 'Sigmoid',
  leakyrelu: 'LeakyRelu',
  prelu: 'Prelu',
};

interface FusedAttrs extends MatMulAttrs {
  activation?: string;
  leakyreluAlpha?: number;
}

/** matMul, then + bias, then the activation: what the cpu backend's _FusedMatMul does. */
function composedFusedMatMul(
  inputs: { a: TensorInfo; b: TensorInfo; bias?: TensorInfo; preluActivationWeights?: TensorInfo },
  attrs: FusedAttrs,
  backend: WasmBackend,
  batchMatMul: KernelFunc,
): TensorInfo {
  const activation = attrs.activation ?? 'linear';
  const activationKernel = ACTIVATION_KERNELS[activation];
  if (activation !== 'linear' && activationKernel === undefined) {
    throw new Error(
      `${activation} activation not yet supported for _FusedMatMul in the wasm backend.`,
    );
  }
  let current = batchMatMul({
    inputs: { a: inputs.a, b: inputs.b },
    backend: backend as unknown as Parameters<KernelFunc>[0]['backend'],
    attrs: { transposeA: attrs.transposeA, transposeB: attrs.transposeB },
  }) as TensorInfo;
  const replaceWith = (next: () => TensorInfo): void => {
    try {
      const result = next();
      backend.disposeData(current.dataId);
      current = result;
    } catch (e) {
      backend.disposeData(current.dataId);
      throw e;
    }
  };
  if (inputs.bias)
    replaceWith(() => runWasmKernel('Add', { a: current, b: inputs.bias! }, backend));
  if (activationKernel === 'Prelu') {
    const alpha = inputs.preluActivationWeights;
    if (!alpha) throw new Error('_FusedMatMul: prelu activation without preluActivationWeights');
    replaceWith(() => runWasmKernel('Prelu', { x: current, alpha }, backend));
  } else if (activationKernel === 'LeakyRelu') {
    const alpha = attrs.leakyreluAlpha ?? 0.2;
    replaceWith(() => runWasmKernel('LeakyRelu', { x: current }, backend, { alpha }));
  } else if (activationKernel !== undefined) {
    replaceWith(() => runWasmKernel(activationKernel, { x: current }, backend));
  }
  return current;
}

/**
 * _FusedMatMul (tf.fused.matMul: bias, activation). The stock kernel is right only on its
 * XNNPACK path with a bias of one value per output column: its loop adds bias[min(i·n + j, n − 1)]
 * (the first row's bias to row 0 only) and k = 0 leaves the output unset. So: the XNNPACK path
 * (directly, or after steps 1-2) where it applies, else the routed BatchMatMul, Add and the
 * activation kernel, as the cpu backend computes it.
 */
export function makeFusedMatMul(stock: KernelFunc, batchMatMul: KernelFunc): KernelFunc {
  return (args) => {
    const inputs = args.inputs as {
      a: TensorInfo;
      b: TensorInfo;
      bias?: TensorInfo;
      preluActivationWeights?: TensorInfo;
    };
    const attrs = args.attrs as unknown as FusedAttrs;
    const backend = args.backend as unknown as WasmBackend;
    const shape = productShape(inputs.a, inputs.b, attrs.transposeA, attrs.transposeB);
    if (shape === null) return stock(args);
    const { m, k, n, aBatchShape, bBatchShape, outShape } = shape;
    const { bias } = inputs;
    const xnnpackCase =
      (bias == null || (bias.shape.length === 1 && bias.shape[0] === n)) &&
      util.sizeFromShape(bBatchShape) === 1 &&
      util.sizeFromShape(outShape) > 0 &&
      k > 0;
    const native = nativeAddon();
    // A bias of one value per output column ((n), (1, n), …); others (e.g. (n, 1)) are composed.
    const biasRow =
      bias == null || (bias.shape.at(-1) === n && util.sizeFromShape(bias.shape) === n);
    if (
      native !== null &&
      (attrs.activation ?? 'linear') === 'linear' &&
      biasRow &&
      bias?.dtype !== 'int32'
    ) {
      const { transposeA, transposeB } = attrs;
      return nativeBatchMatMul(
        native,
        inputs.a,
        inputs.b,
        transposeA,
        transposeB,
        shape,
        backend,
        bias,
      );
    }
    if (!xnnpackCase || native !== null)
      return composedFusedMatMul(inputs, attrs, backend, batchMatMul);
    if (stockIsFast(shape, attrs)) return stock(args);
    const plain = untransposed(inputs.a, inputs.b, attrs.transposeA, attrs.transposeB, backend);
    try {
      const rows = util.sizeFromShape(aBatchShape) * m;
      // The stock fused kernel reads its operands as rank 3.
      const out = stock({
        ...args,
        inputs: {
          ...args.inputs,
          a: { ...plain.a, shape: [1, rows, k] },
          b: { ...plain.b, shape: [1, k, n] },
        },
        attrs: { ...args.attrs, transposeA: false, transposeB: false },
      }) as TensorInfo;
      return { ...out, shape: outShape };
    } finally {
      plain.release();
    }
  };
}
