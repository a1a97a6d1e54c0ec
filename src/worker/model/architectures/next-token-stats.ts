/**
 * Teacher-forced next-token statistics from final hidden states, what the evaluation's per-token
 * metrics read (src/worker/metrics/token-stats.ts): for each row i with target x_i,
 *   [ log p(x_i),  argmax_v p(v) = x_i (ties to the lowest id, as tf.argMax),
 *     μ_i = Σ_v p_v log p_v,  σ_i = sqrt(Σ_v p_v (log p_v − μ_i)²) ]
 *
 * With the native kernels: one chunked kernel (native-head.ts NepentheHeadStats) that never holds
 * the (N, V) logits — at a 150k vocabulary a batch of 800 tokens is 490 MB of logits, and the
 * composition below makes several such tensors. Elsewhere the tfjs composition, freeing each
 * (N, V) temporary after its last use (at most three alive at once).
 */
import * as tf from '@tensorflow/tfjs';
import { HEAD_STATS } from '../../engine/wasm-kernels/native-head.ts';
import { fusedLayersAvailable } from './fused-ops.ts';

/**
 * h (N, C) final hidden states, weight the head (tied: the embedding (V, C); else lm_head
 * (C, V)), targets (N) int32 → (N, 4).
 */
export function nextTokenStats(
  h: tf.Tensor2D,
  weight: tf.Tensor2D,
  targets: tf.Tensor1D,
  tied: boolean,
): tf.Tensor2D {
  if (fusedLayersAvailable() && h.dtype === 'float32' && targets.dtype === 'int32')
    return tf.engine().runKernel(HEAD_STATS, { h, weight, targets }, { tied }) as tf.Tensor2D;
  return tf.tidy(() => statsOfLogits(tf.matMul(h, weight, false, tied), targets));
}

/** The composition: logits (N, V), which it frees, and targets (N) → (N, 4). */
function statsOfLogits(logits: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor2D {
  const [N, V] = logits.shape;
  if (N * V > 2 ** 31 - 1)
    throw new Error(
      `token stats: a batch of ${N} positions × ${V} vocabulary entries is too large; lower batchSize`,
    );
  const logZ = tf.logSumExp(logits, -1, true); // (N, 1)
  // Target logit by a gather at flat indices i·V + x_i: no (N, V) one-hot. (tf.gather with
  // batchDims crashes the wasm kernel.)
  const flatLogits = logits.reshape([-1]);
  const flat = tf.add(tf.mul(tf.range(0, N, 1, 'int32'), tf.scalar(V, 'int32')), targets);
  const logProb = tf.sub(tf.gather(flatLogits, flat), logZ.squeeze([1])); // (N)
  const correct = tf.cast(tf.equal(tf.argMax(logits, -1), targets), 'float32'); // (N)

  // Moments in two passes, freeing each (N, V) tensor after its last use.
  const logp = tf.sub(logits, logZ); // (N, V)
  flatLogits.dispose();
  logits.dispose();
  const p = tf.exp(logp); // (N, V)
  const mu = sumLast(tf.mul(p, logp)); // (N)
  const centred = tf.sub(logp, mu.expandDims(-1)); // (N, V)
  logp.dispose();
  const squared = tf.square(centred);
  centred.dispose();
  const variance = sumLast(tf.mul(p, squared)); // (N)
  squared.dispose();
  p.dispose();
  const sigma = tf.sqrt(tf.relu(variance));
  return tf.stack([logProb, correct, mu, sigma], 1) as tf.Tensor2D; // (N, 4)
}

/** Σ over the last axis of an (N, V) temporary, which it frees. */
function sumLast(x: tf.Tensor): tf.Tensor {
  const s = tf.sum(x, -1);
  x.dispose();
  return s;
}
