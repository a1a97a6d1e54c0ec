/**
 * A toy training loop for memory and backend checks: embedding gather, matMul to the vocabulary,
 * log-softmax cross-entropy; Adam with decoupled weight decay (AdamW, Loshchilov & Hutter 2019,
 * Alg. 2 line 12). Returns each step's loss and tensor count; leaves nothing allocated.
 */
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import { floats } from './compare.ts';

/** Vocabulary, width, batch, sequence length. */
const [V, C, B, T] = [32, 16, 4, 8];

export async function toyTraining(steps: number): Promise<{ losses: number[]; tensors: number[] }> {
  const start = tf.memory().numTensors;
  // tf.variable keeps its initial tensor alive beside the variable: make it inside a tidy.
  const wte = tf.tidy(() => tf.variable(tf.tensor(floats(V * C, 1, 0.1), [V, C]), true, 'wte'));
  const head = tf.tidy(() => tf.variable(tf.tensor(floats(C * V, 2, 0.1), [C, V]), true, 'head'));
  const tokens = tf.tensor2d(
    Array.from({ length: B * T }, (_, i) => (i * 7) % V),
    [B, T],
    'int32',
  );
  const next = Array.from({ length: B * T }, (_, i) => (i * 7 + 1) % V);
  const targets = tf.tidy(() => tf.oneHot(tf.tensor1d(next, 'int32'), V)); // (B·T, V)
  const optimizer = tf.train.adam(0.05);
  const lr = 0.05,
    weightDecay = 0.01;
  const losses: number[] = [];
  const tensors: number[] = [];
  for (let step = 0; step < steps; step++) {
    const loss = optimizer.minimize(() => {
      const x = tf.gather(wte, tokens).reshape([B * T, C]); // (B·T, C)
      const logits = x.matMul(head); // (B·T, V)
      return tf
        .logSoftmax(logits)
        .mul(targets)
        .sum()
        .neg()
        .div(B * T) as tf.Scalar;
    }, true)!;
    tf.tidy(() => {
      for (const v of [wte, head]) v.assign(v.mul(1 - lr * weightDecay));
    });
    losses.push((await loss.data())[0]!);
    loss.dispose();
    tensors.push(tf.memory().numTensors);
  }
  optimizer.dispose();
  tf.dispose([wte, head, tokens, targets]);
  expect(tf.memory().numTensors).toBe(start);
  return { losses, tensors };
}
