/** Gradient clipping by global L2 norm, as torch.nn.utils.clip_grad_norm_ (scale = max/(norm+1e-6)). */
import * as tf from '@tensorflow/tfjs';
import { nativeSumOfSquares } from '../../engine/wasm-kernels/native-adamw.ts';

/**
 * Returns the pre-clipping global norm and the clipped gradients (new tensors; the caller
 * disposes both). When the norm is within `maxNorm`, the gradients come back unscaled.
 */
export function clipByGlobalNorm(
  grads: ReadonlyMap<string, tf.Tensor>,
  maxNorm: number,
): { norm: tf.Scalar; clipped: Map<string, tf.Tensor> } {
  const names = [...grads.keys()];
  const [norm, ...clipped] = tf.tidy(() => {
    const squares = [...grads.values()].map((g) => g.square().sum());
    const total = tf.addN(squares).sqrt() as tf.Scalar; // ()
    const scale = tf.minimum(tf.scalar(1), tf.scalar(maxNorm).div(total.add(1e-6)));
    return [total, ...[...grads.values()].map((g) => g.mul(scale))];
  });
  return { norm: norm as tf.Scalar, clipped: new Map(names.map((n, i) => [n, clipped[i]!])) };
}

/**
 * The pre-clipping global norm and the factor torch's clip_grad_norm_ multiplies every gradient
 * by, min(1, maxNorm / (norm + 1e-6)) in float32, without making the clipped gradients: AdamW
 * applies the factor in its own pass (`AdamW.apply(params, grads, scale)`), which saves a
 * multiply and a buffer per parameter. On wasm with the native kernels the norm is one native
 * pass in double precision; elsewhere the tfjs ops of `clipByGlobalNorm`.
 */
export async function clipScale(
  grads: ReadonlyMap<string, tf.Tensor>,
  maxNorm: number,
): Promise<{ norm: number; scale: number }> {
  const sumOfSquares = nativeSumOfSquares([...grads.values()]);
  let norm: number;
  if (sumOfSquares !== null) {
    norm = Math.fround(Math.sqrt(sumOfSquares));
  } else {
    const total = tf.tidy(() => tf.addN([...grads.values()].map((g) => g.square().sum())).sqrt());
    norm = (await total.data())[0]!;
    total.dispose();
  }
  const f = Math.fround;
  const scale = Math.min(1, f(f(maxNorm) / f(norm + f(1e-6))));
  return { norm, scale };
}
