/**
 * Input activation norms of the block linears on calibration text: ‖X_j‖₂ over every token of
 * every sequence, for each input column j (Wanda, Sun et al. 2023, §3 eq. 1). SAU reuses them as
 * importance scores.
 */
import * as tf from '@tensorflow/tfjs';
import type { CausalLM } from '../model/architectures/types.ts';
import type { TokenSequence } from '../unlearn/batch.ts';
import { isBlockLinearWeight } from '../model/weight-names.ts';

export interface InputNormOptions {
  /** Which linears to measure (default every block linear); the others are not observed. */
  readonly select?: (name: string) => boolean;
  /** Sequences per forward pass; only sequences of equal length share one, so no padding. */
  readonly batchSize?: number;
  readonly onProgress?: (done: number, total: number) => void;
}

/**
 * ‖X_j‖₂ per input column of each observed linear (weight name → Float32Array of `in` values).
 * Sums of squares accumulate in kept tensors on the backend; the hooks are removed after.
 */
export async function inputNorms(
  model: CausalLM,
  sequences: readonly TokenSequence[],
  options: InputNormOptions = {},
): Promise<Map<string, Float32Array>> {
  const select = options.select ?? isBlockLinearWeight;
  const sums = new Map<string, tf.Tensor1D>();
  model.setLinearHooks({
    observeInput(name, x) {
      if (!isBlockLinearWeight(name) || !select(name)) return;
      const batch = tf.sum(tf.square(x), 0) as tf.Tensor1D; // (in)
      const previous = sums.get(name);
      sums.set(name, tf.keep(previous === undefined ? batch : tf.add(previous, batch)));
      previous?.dispose();
    },
  });
  try {
    const batches = equalLengthBatches(sequences, options.batchSize ?? 8);
    for (const [b, rows] of batches.entries()) {
      const T = rows[0]!.ids.length;
      tf.tidy(() => {
        const ids = tf.tensor2d(
          rows.flatMap((r) => r.ids),
          [rows.length, T],
          'int32',
        ); // (B, T)
        model.logits(ids); // run for the hooks; the logits are dropped by the tidy
      });
      options.onProgress?.(b + 1, batches.length);
    }
  } finally {
    model.setLinearHooks(null);
  }
  const norms = new Map<string, Float32Array>();
  for (const [name, sum] of sums) {
    const squares = (await sum.data()) as Float32Array;
    sum.dispose();
    norms.set(name, squares.map(Math.sqrt));
  }
  return norms;
}

/** Sequences grouped by length (in first-seen order), at most `size` per batch; empty ones skipped. */
function equalLengthBatches(sequences: readonly TokenSequence[], size: number): TokenSequence[][] {
  const byLength = new Map<number, TokenSequence[]>();
  for (const s of sequences) {
    if (s.ids.length === 0) continue;
    const group = byLength.get(s.ids.length) ?? [];
    group.push(s);
    byLength.set(s.ids.length, group);
  }
  const batches: TokenSequence[][] = [];
  for (const group of byLength.values())
    for (let i = 0; i < group.length; i += size) batches.push(group.slice(i, i + size));
  return batches;
}
