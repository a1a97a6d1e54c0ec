/**
 * The loss terms the methods combine (ALGORITHMS.md; all minimized). ℓ is the mean token NLL
 * over the real (mask 1) targets of a batch; log π(x) = −(summed NLL of x).
 */
import * as tf from '@tensorflow/tfjs';
import type { CausalLM } from '../model/architectures/types.ts';
import type { Batch } from './batch.ts';

/** ℓ(θ; batch): mean token NLL over the batch's real targets. */
export function meanNll(model: CausalLM, batch: Batch): tf.Scalar {
  return model.nll(batch.ids, batch.mask);
}

/**
 * The mean NLLs of two batches from ONE forward pass over both (rows stacked, the narrower
 * batch right-padded with masked positions): [ℓ(a), ℓ(b)], each as `meanNll` of its batch
 * (Σ of its rows' summed NLL / its real targets). One pass instead of two makes one LM head,
 * one embedding gather and so one embedding-sized gradient of each kind instead of two; at
 * the 0.5B shape those (151,936 × 896) gradients and their sums were the step's largest
 * buffers (bench/RESULTS.md).
 */
export function jointMeanNll(model: CausalLM, a: Batch, b: Batch): [tf.Scalar, tf.Scalar] {
  const [Ba, Ta] = a.ids.shape;
  const [Bb, Tb] = b.ids.shape;
  const T = Math.max(Ta, Tb);
  const widen = <R extends tf.Tensor2D>(x: R, t: number): tf.Tensor2D =>
    t === T
      ? x
      : tf.pad(x, [
          [0, 0],
          [0, T - t],
        ]); // (B, T), padding masked out
  const ids = tf.concat([widen(a.ids, Ta), widen(b.ids, Tb)]); // (Ba+Bb, T)
  const mask = tf.concat([widen(a.mask, Ta), widen(b.mask, Tb)]); // (Ba+Bb, T)
  const perRow = model.sequenceNll(ids, mask); // (Ba+Bb)
  const targets = mask.slice([0, 1], [Ba + Bb, T - 1]).sum(1); // (Ba+Bb)
  const mean = (start: number, rows: number): tf.Scalar =>
    perRow
      .slice([start], [rows])
      .sum()
      .div(tf.maximum(targets.slice([start], [rows]).sum(), 1)) as tf.Scalar;
  return [mean(0, Ba), mean(Ba, Bb)];
}

/** log π(x) per row: −summed NLL of the real targets, (B). */
export function sequenceLogProb(model: CausalLM, batch: Batch): tf.Tensor1D {
  return model.sequenceNll(batch.ids, batch.mask).neg();
}

/** Real targets per row (tokens after the first), (B). */
export function targetCounts(batch: Batch): tf.Tensor1D {
  const [B, T] = batch.mask.shape;
  return batch.mask.slice([0, 1], [B, T - 1]).sum(1) as tf.Tensor1D; // (B)
}

/**
 * log σ(z) = −softplus(−z). Not `tf.logSigmoid`: its gradient closes over its input instead of
 * saving it, so under `tf.variableGrads` it reads a tensor the forward pass already disposed.
 */
function logSigmoid(z: tf.Tensor1D): tf.Tensor1D {
  return tf.softplus(z.neg()).neg();
}

/**
 * NPO: mean over rows of −(2/β)·log σ(−β·[log π_θ(x) − log π_ref(x)]), `refLogProb` (B) computed
 * once before training.
 */
export function npoLoss(
  model: CausalLM,
  batch: Batch,
  refLogProb: tf.Tensor1D,
  beta: number,
): tf.Scalar {
  const ratio = sequenceLogProb(model, batch).sub(refLogProb); // (B)
  return logSigmoid(ratio.mul(-beta))
    .mean()
    .mul(-2 / beta) as tf.Scalar;
}

/** SimNPO: mean over rows of −(2/β)·log σ(−(β/|x|)·log π_θ(x) − βδ) = −(2/β)·log σ(β·ℓ(x) − βδ). */
export function simNpoLoss(model: CausalLM, batch: Batch, beta: number, delta: number): tf.Scalar {
  const lengths = tf.maximum(targetCounts(batch), 1); // (B)
  const perTokenNll = model.sequenceNll(batch.ids, batch.mask).div(lengths); // (B) ℓ(x)
  return logSigmoid(perTokenNll.mul(beta).sub(beta * delta))
    .mean()
    .mul(-2 / beta) as tf.Scalar;
}

/**
 * KL(p_ref ‖ p_θ) per next-token distribution, averaged over the positions whose target is
 * real; `refLogits` (B, T, V) from the frozen reference (no gradient flows into it).
 */
export function klToReference(model: CausalLM, batch: Batch, refLogits: tf.Tensor3D): tf.Scalar {
  const [B, T] = batch.ids.shape;
  const V = model.spec.vocabSize;
  const positions = (x: tf.Tensor3D) => x.slice([0, 0, 0], [B, T - 1, V]).reshape([B * (T - 1), V]); // (N, V)
  const logP = tf.logSoftmax(positions(model.logits(batch.ids))); // (N, V)
  const logRef = tf.logSoftmax(positions(refLogits)); // (N, V)
  const perPosition = logRef.exp().mul(logRef.sub(logP)).sum(1); // (N)
  const weights = batch.mask.slice([0, 1], [B, T - 1]).reshape([B * (T - 1)]); // (N)
  return perPosition.mul(weights).sum().div(tf.maximum(weights.sum(), 1)) as tf.Scalar;
}

/**
 * UNDIAL's target distributions: q = softmax(z_ref − β·onehot(y)) at every position t < T − 1,
 * z_ref the frozen original model's logits there and y = ids[t + 1] the true next token, whose
 * logit is lowered by β; (B, T − 1, V). No gradient flows into it (the run computes it outside
 * the tape). Padded positions get a target too; `undialLoss` gives them weight 0.
 */
export function undialTargets(refLogits: tf.Tensor3D, ids: tf.Tensor2D, beta: number): tf.Tensor3D {
  const [B, T] = ids.shape;
  const V = refLogits.shape[2];
  const next = ids.slice([0, 1], [B, T - 1]); // (B, T−1) the true tokens y
  const z = refLogits.slice([0, 0, 0], [B, T - 1, V]); // (B, T−1, V)
  return tf.softmax(z.sub(tf.oneHot(next, V).mul(beta))) as tf.Tensor3D;
}

/**
 * UNDIAL: the cross-entropy −Σ_v q_v·log p_θ,v of the current model's next-token distribution
 * against `targets` (`undialTargets`, (B, T − 1, V)), averaged over the positions whose target is
 * real. Cross-entropy, as open-unlearning's `compute_undial_loss` (not KL: the same gradient, the
 * value higher by the targets' entropy).
 */
export function undialLoss(model: CausalLM, batch: Batch, targets: tf.Tensor3D): tf.Scalar {
  const [B, T] = batch.ids.shape;
  const V = model.spec.vocabSize;
  const logP = tf.logSoftmax(
    model
      .logits(batch.ids)
      .slice([0, 0, 0], [B, T - 1, V])
      .reshape([B * (T - 1), V]),
  ); // (N, V)
  const perPosition = targets
    .reshape([B * (T - 1), V])
    .mul(logP)
    .sum(1)
    .neg(); // (N)
  const weights = batch.mask.slice([0, 1], [B, T - 1]).reshape([B * (T - 1)]); // (N)
  return perPosition.mul(weights).sum().div(tf.maximum(weights.sum(), 1)) as tf.Scalar;
}
