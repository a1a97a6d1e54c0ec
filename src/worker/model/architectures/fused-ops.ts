/**
 * GELU, SwiGLU, LayerNorm, RMSNorm, attention's masked softmax and softmax cross-entropy as single fused kernels with hand-written gradients, used by ops.ts when
 * the backend has them (wasm with the native kernels: src/worker/engine/wasm-kernels/
 * native-layers.ts). Same math as the tfjs compositions in ops.ts, checked against PyTorch by the
 * golden tests on that backend.
 */
import * as tf from '@tensorflow/tfjs';
import {
  GELU_TANH,
  GELU_TANH_GRAD,
  LAYER_NORM,
  LAYER_NORM_GRAD,
  MASKED_SOFTMAX,
  RMS_NORM,
  RMS_NORM_GRAD,
  SOFTMAX_GRAD,
  SOFTMAX_XENT,
  SOFTMAX_XENT_GRAD,
  SWIGLU,
  SWIGLU_GRAD,
} from '../../engine/wasm-kernels/native-layers.ts';
import { HEAD_XENT, HEAD_XENT_GRAD } from '../../engine/wasm-kernels/native-head.ts';

export { nativeKernelsActive as fusedLayersAvailable } from '../../engine/wasm-kernels/native-active.ts';

const run = (name: string, inputs: tf.NamedTensorMap, attrs = {}): tf.Tensor | tf.Tensor[] =>
  tf.engine().runKernel(name, inputs, attrs) as tf.Tensor | tf.Tensor[];

export function fusedGeluTanh<T extends tf.Tensor>(x: T): T {
  const gelu = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    save([input]);
    return {
      value: run(GELU_TANH, { x: input }) as tf.Tensor,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        run(GELU_TANH_GRAD, { x: saved[0]!, dy }) as tf.Tensor,
    };
  });
  return gelu(x) as T;
}

export function fusedLayerNorm(
  x: tf.Tensor2D,
  weight: tf.Tensor1D,
  bias: tf.Tensor1D,
  eps: number,
): tf.Tensor2D {
  const layerNorm = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, w, b] = args as [tf.Tensor2D, tf.Tensor1D, tf.Tensor1D];
    const save = args[3] as tf.GradSaveFunc;
    const [y, mean, rstd] = run(LAYER_NORM, { x: input, weight: w, bias: b }, { eps }) as [
      tf.Tensor2D,
      tf.Tensor1D,
      tf.Tensor1D,
    ];
    save([input, w, mean, rstd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws, means, rstds] = saved as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
        return run(LAYER_NORM_GRAD, {
          x: xs,
          weight: ws,
          mean: means,
          rstd: rstds,
          dy,
        }) as tf.Tensor[];
      },
    };
  });
  return layerNorm(x, weight, bias) as tf.Tensor2D;
}

/** Per-row logsumexp(zᵢ) − zᵢ[tᵢ], (N, V) × (N, int32) → (N); see ops.ts tokenCrossEntropy. */
export function fusedTokenCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
  const crossEntropy = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const z = args[0] as tf.Tensor2D;
    const save = args[1] as tf.GradSaveFunc;
    const [loss, e, s] = run(SOFTMAX_XENT, { logits: z, targets }) as [
      tf.Tensor1D,
      tf.Tensor2D,
      tf.Tensor1D,
    ];
    // The targets are saved too: a caller's tidy may dispose them before the backward pass.
    save([e, s, targets]);
    return {
      value: loss,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        run(SOFTMAX_XENT_GRAD, { e: saved[0]!, s: saved[1]!, targets: saved[2]!, dy }) as tf.Tensor,
    };
  });
  return crossEntropy(logits) as tf.Tensor1D;
}

/**
 * softmax(x + mask) over the last axis; x (…, T, S) with mask (T, S) or null, or x (B, H, T, S)
 * with mask (B, T, S) (each batch row's own, for all its heads).
 */
export function fusedMaskedSoftmax<T extends tf.Tensor>(
  x: T,
  mask: tf.Tensor2D | tf.Tensor3D | null,
): T {
  const softmax = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const input = args[0] as tf.Tensor;
    const save = args[1] as tf.GradSaveFunc;
    const y = run(MASKED_SOFTMAX, mask ? { x: input, mask } : { x: input }) as tf.Tensor;
    save([y]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        run(SOFTMAX_GRAD, { y: saved[0]!, dy }) as tf.Tensor,
    };
  });
  return softmax(x) as T;
}

/** silu(gate)·up (Llama's MLP), both (N, I). */
export function fusedSwiGlu(gate: tf.Tensor2D, up: tf.Tensor2D): tf.Tensor2D {
  const swiglu = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [g, u] = args as [tf.Tensor2D, tf.Tensor2D];
    const save = args[2] as tf.GradSaveFunc;
    save([g, u]);
    return {
      value: run(SWIGLU, { gate: g, up: u }) as tf.Tensor2D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
        run(SWIGLU_GRAD, { gate: saved[0]!, up: saved[1]!, dy }) as tf.Tensor[],
    };
  });
  return swiglu(gate, up) as tf.Tensor2D;
}

export function fusedRmsNorm(x: tf.Tensor2D, weight: tf.Tensor1D, eps: number): tf.Tensor2D {
  const rmsNorm = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [input, w] = args as [tf.Tensor2D, tf.Tensor1D];
    const save = args[2] as tf.GradSaveFunc;
    const [y, rstd] = run(RMS_NORM, { x: input, weight: w }, { eps }) as [tf.Tensor2D, tf.Tensor1D];
    save([input, w, rstd]);
    return {
      value: y,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws, rstds] = saved as [tf.Tensor, tf.Tensor, tf.Tensor];
        return run(RMS_NORM_GRAD, { x: xs, weight: ws, rstd: rstds, dy }) as tf.Tensor[];
      },
    };
  });
  return rmsNorm(x, weight) as tf.Tensor2D;
}

/**
 * Per-row cross-entropy of the head's logits without materializing them: h (N, C), weight (V, C)
 * when tied to the embedding or (C, V) for a separate lm_head, targets (N, int32) → (N).
 * Gradients for h and weight (native-head.ts recomputes each chunk's logits in backward).
 */
export function fusedHeadCrossEntropy(
  h: tf.Tensor2D,
  weight: tf.Tensor2D,
  targets: tf.Tensor1D,
  tied: boolean,
): tf.Tensor1D {
  const headLoss = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const [x, w] = args as [tf.Tensor2D, tf.Tensor2D];
    const save = args[2] as tf.GradSaveFunc;
    // The targets are saved too: a caller's tidy may dispose them before the backward pass.
    save([x, w, targets]);
    return {
      value: run(HEAD_XENT, { h: x, weight: w, targets }, { tied }) as tf.Tensor1D,
      gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
        const [xs, ws, ts] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
        return run(HEAD_XENT_GRAD, { h: xs, weight: ws, targets: ts, dy }, { tied }) as tf.Tensor[];
      },
    };
  });
  return headLoss(h, weight) as tf.Tensor1D;
}
