/**
 * Token sequences and the padded batches the trainer feeds the model. A sequence is one chunk
 * of a document, already cut to the run's `maxLength`; batches are right-padded with token 0
 * and carry a mask (1 = real token) so padding never counts in a loss.
 */
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../data/prng.ts';

export interface TokenSequence {
  /** `<relative file>#<chunk>`, as the scorer names chunks. */
  readonly id: string;
  readonly ids: readonly number[];
}

export interface Batch {
  /** (B, T) int32, right-padded with 0. */
  readonly ids: tf.Tensor2D;
  /** (B, T) float32, 1 on real tokens. */
  readonly mask: tf.Tensor2D;
  /** Index of each row's sequence in its set. */
  readonly rows: readonly number[];
  /** Real tokens in the batch. */
  readonly tokens: number;
}

/** Builds the padded batch of `set[rows]`; the caller disposes it with `disposeBatch`. */
export function makeBatch(set: readonly TokenSequence[], rows: readonly number[]): Batch {
  const width = Math.max(2, ...rows.map((r) => set[r]!.ids.length));
  const ids = new Int32Array(rows.length * width);
  const mask = new Float32Array(rows.length * width);
  let tokens = 0;
  rows.forEach((r, b) => {
    const seq = set[r]!.ids;
    for (let t = 0; t < seq.length; t++) {
      ids[b * width + t] = seq[t]!;
      mask[b * width + t] = 1;
    }
    tokens += seq.length;
  });
  return {
    ids: tf.tensor2d(ids, [rows.length, width], 'int32'),
    mask: tf.tensor2d(mask, [rows.length, width], 'float32'),
    rows,
    tokens,
  };
}

export function disposeBatch(batch: Batch | null | undefined): void {
  if (batch) tf.dispose([batch.ids, batch.mask]);
}

/** A seeded Fisher–Yates permutation of 0..n−1: the same (n, seed) always gives the same order. */
export function shuffled(n: number, seed: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  const random = mulberry32(seed);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/**
 * `perRow(batch)` (B) for every sequence of `set`, in set order, batches of `batchSize` outside
 * any gradient tape; `onDone` after each batch with the sequences done.
 */
export async function valuesPerSequence(
  set: readonly TokenSequence[],
  batchSize: number,
  perRow: (batch: Batch) => tf.Tensor1D,
  onDone?: (done: number) => void,
): Promise<Float32Array> {
  const out = new Float32Array(set.length);
  for (let start = 0; start < set.length; start += batchSize) {
    const rows = Array.from(
      { length: Math.min(batchSize, set.length - start) },
      (_, i) => start + i,
    );
    const batch = makeBatch(set, rows);
    const values = tf.tidy(() => perRow(batch));
    out.set((await values.data()) as Float32Array, start);
    tf.dispose(values);
    disposeBatch(batch);
    onDone?.(start + rows.length);
  }
  return out;
}
