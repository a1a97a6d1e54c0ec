/** Gradient clipping by global L2 norm, as torch.nn.utils.clip_grad_norm_ (scale = max/(norm+1e-6)). */
import * as tf from '@tensorflow/tfjs';

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
