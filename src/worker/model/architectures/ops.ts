/**
 * The layers the architectures share, as plain tfjs ops on the 2-D residual stream (B*T, C).
 * Each mirrors the PyTorch module Hugging Face uses, cited beside it; gradients come from tfjs
 * autodiff except for cross-entropy, whose gradient is written out (see there).
 */
import * as tf from '@tensorflow/tfjs';
import {
  fusedGeluTanh,
  fusedLayerNorm,
  fusedLayersAvailable,
  fusedRmsNorm,
  fusedSwiGlu,
  fusedTokenCrossEntropy,
} from './fused-ops.ts';

/** `nn.Linear` / GPT-2 `Conv1D` with the weight kept [in, out]: y = x W + b. */
export function linear(x: tf.Tensor2D, w: tf.Tensor2D, b?: tf.Tensor1D): tf.Tensor2D {
  // With the native kernels the bias is added inside the product (one pass fewer).
  if (b && fusedLayersAvailable()) return tf.fused.matMul({ a: x, b: w, bias: b }) as tf.Tensor2D;
  const y = tf.matMul<tf.Tensor2D>(x, w); // (N, out)
  return b ? y.add<tf.Tensor2D>(b) : y;
}

/** `nn.LayerNorm` over the last axis (biased variance, as torch). */
export function layerNorm(
  x: tf.Tensor2D,
  weight: tf.Tensor1D,
  bias: tf.Tensor1D,
  eps: number,
): tf.Tensor2D {
  if (fusedLayersAvailable()) return fusedLayerNorm(x, weight, bias, eps);
  const centered = x.sub(x.mean(1, true)); // (N, C)
  const variance = centered.square().mean(1, true); // (N, 1)
  return centered.mul(variance.add(eps).rsqrt()).mul(weight).add(bias); // (N, C)
}

/** HF `LlamaRMSNorm`: x / sqrt(mean(x²) + eps) * weight (fp32 throughout here). */
export function rmsNorm(x: tf.Tensor2D, weight: tf.Tensor1D, eps: number): tf.Tensor2D {
  if (fusedLayersAvailable()) return fusedRmsNorm(x, weight, eps);
  const meanSquare = x.square().mean(1, true); // (N, 1)
  return x.mul(meanSquare.add(eps).rsqrt()).mul(weight); // (N, C)
}

const GELU_SCALE = Math.sqrt(2 / Math.PI);

/** HF `NewGELUActivation` (GPT-2's `gelu_new`): 0.5 x (1 + tanh(√(2/π) (x + 0.044715 x³))). */
export function geluTanh<T extends tf.Tensor>(x: T): T {
  if (fusedLayersAvailable() && x.dtype === 'float32') return fusedGeluTanh(x);
  const inner = x.add(x.mul(x).mul(x).mul(0.044715)).mul(GELU_SCALE);
  return x.mul(inner.tanh().add(1)).mul(0.5);
}

/** Llama's gated MLP activation, silu(gate) · up, both (N, I). */
export function swiGlu(gate: tf.Tensor2D, up: tf.Tensor2D): tf.Tensor2D {
  if (fusedLayersAvailable()) return fusedSwiGlu(gate, up);
  return silu(gate).mul<tf.Tensor2D>(up); // (N, I)
}

/** SiLU (Llama's `hidden_act`): x · σ(x). */
export function silu<T extends tf.Tensor>(x: T): T {
  return x.mul(x.sigmoid());
}

/**
 * Σᵢ wᵢ (logsumexp(zᵢ) − zᵢ[tᵢ]) / max(Σ wᵢ, 1): the mean NLL of the targets with weight 1, as
 * the weighted sum of `tokenCrossEntropy` (whose gradient each target's share scales).
 */
export function maskedCrossEntropy(
  logits: tf.Tensor2D,
  targets: tf.Tensor1D,
  weights: tf.Tensor1D,
): tf.Scalar {
  return maskedMean(tokenCrossEntropy(logits, targets), weights);
}

/** Σ perToken · weights / max(Σ weights, 1): the mean over the real targets, (N) → scalar. */
export function maskedMean(perToken: tf.Tensor1D, weights: tf.Tensor1D): tf.Scalar {
  const share = weights.div(tf.maximum(weights.sum(), 1)); // (N) each target's share of the mean
  return perToken.mul(share).sum() as tf.Scalar;
}

/**
 * Per-row cross-entropy logsumexp(zᵢ) − zᵢ[tᵢ], (N, V) × (N) → (N).
 *
 * The gradient is written out, (softmax(zᵢ) − onehot(tᵢ)) · dyᵢ, rather than left to autodiff:
 * autodiff through `gather` needs UnsortedSegmentSum (absent from some backends) and through a
 * one-hot product would hold a second (N, V) tensor during the forward pass.
 *
 * Fused: the forward pass keeps eᵢ = exp(zᵢ − max zᵢ) and its row sum sᵢ (logsumexp = max + log s),
 * and the backward pass reuses them, softmax = e / s, so the (N, V) exponential runs once per
 * step, not twice; the one-hot term is a float scatter of N values, not an (N, V) one-hot and
 * cast (tfjs-backend-wasm 4.22's OneHot ignores dtype and writes int32 bits into float32).
 */
export function tokenCrossEntropy(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
  if (fusedLayersAvailable() && targets.dtype === 'int32' && logits.dtype === 'float32')
    return fusedTokenCrossEntropy(logits, targets);
  const [n, vocab] = logits.shape;
  const crossEntropy = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
    const z = args[0] as tf.Tensor2D;
    const save = args[1] as tf.GradSaveFunc;
    const rowMax = z.max(1, true); // (N, 1)
    const e = z.sub(rowMax).exp(); // (N, V) exp(z − max)
    const rowSum = e.sum(1, true); // (N, 1)
    const lse = rowMax.add(rowSum.log()).reshape<tf.Tensor1D>([n]); // (N)
    const flatIndex = tf.range(0, n * vocab, vocab, 'int32').add(targets); // (N) row start + target
    const picked = tf.gather(z.reshape([n * vocab]), flatIndex); // (N) zᵢ[tᵢ]
    save([e, rowSum, flatIndex]);
    return {
      value: lse.sub(picked) as tf.Tensor1D,
      gradFunc: (dy: tf.Tensor1D, saved: tf.Tensor[]) => {
        const [es, sums, index] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor1D];
        const probsScaled = es.mul(dy.reshape([n, 1]).div(sums)); // (N, V) softmax · dy
        const picks = tf.scatterND(index.reshape([n, 1]), dy, [n * vocab]); // (N·V) dy at targets
        return probsScaled.sub(picks.reshape([n, vocab])); // (N, V)
      },
    };
  });
  return crossEntropy(logits) as tf.Tensor1D;
}
