/**
 * Rotary position embeddings as HF Llama computes them (`LlamaRotaryEmbedding`, `rotate_half`,
 * `apply_rotary_pos_emb`) and the frequency scalings of `transformers.modeling_rope_utils`.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelSpec } from '../config.ts';

/**
 * inv_freq[j] = θ^(−2j/d) for j < d/2, then scaled per `rope_scaling`; rounded to float32 like
 * the buffer HF keeps.
 */
export function ropeInverseFrequencies(spec: ModelSpec): Float32Array {
  const d = spec.headDim;
  const base = Array.from({ length: d / 2 }, (_, j) => 1 / spec.ropeTheta ** ((2 * j) / d));
  const s = spec.ropeScaling;
  if (s === null) return Float32Array.from(base);
  if (s.type === 'linear') return Float32Array.from(base, (f) => f / s.factor);
  // Llama 3.1 (`_compute_llama3_parameters`): wavelengths longer than the original context are
  // slowed by `factor`, shorter than context/high kept, and the band between blended smoothly.
  const lowFreqWavelen = s.originalMaxPositions / s.lowFreqFactor;
  const highFreqWavelen = s.originalMaxPositions / s.highFreqFactor;
  return Float32Array.from(base, (f) => {
    const wavelen = (2 * Math.PI) / f;
    if (wavelen > lowFreqWavelen) return f / s.factor;
    if (wavelen < highFreqWavelen) return f;
    const smooth =
      (s.originalMaxPositions / wavelen - s.lowFreqFactor) / (s.highFreqFactor - s.lowFreqFactor);
    return (1 - smooth) * (f / s.factor) + smooth * f;
  });
}

export interface RopeTables {
  /** (1, T, 1, hs) or, per row, (B, T, 1, hs): cos(p·f) for the first and (repeated) second half of each head. */
  readonly cos: tf.Tensor4D;
  /** (1, T, 1, hs): sin(p·f) with the first half negated, which folds rotate_half's sign in. */
  readonly signedSin: tf.Tensor4D;
}

/**
 * Tables for positions past..past+T−1: (1, T, 1, hs). With `padding` (rows left-padded by
 * padding[r] tokens), (B, T, 1, hs) for row r's positions past+t−padding[r] (0 for padding).
 */
export function ropeTables(
  invFreq: Float32Array,
  past: number,
  T: number,
  padding: readonly number[] | null = null,
): RopeTables {
  const half = invFreq.length;
  const d = 2 * half;
  const rows = padding ?? [0];
  const cos = new Float32Array(rows.length * T * d);
  const sin = new Float32Array(rows.length * T * d);
  rows.forEach((pad, r) => {
    for (let t = 0; t < T; t++) {
      const at = (r * T + t) * d;
      const position = Math.max(0, past + t - pad);
      for (let j = 0; j < half; j++) {
        const angle = position * invFreq[j]!;
        cos[at + j] = cos[at + half + j] = Math.cos(angle);
        sin[at + j] = -Math.sin(angle);
        sin[at + half + j] = Math.sin(angle);
      }
    }
  });
  const shape: [number, number, number, number] = [rows.length, T, 1, d];
  return { cos: tf.tensor4d(cos, shape), signedSin: tf.tensor4d(sin, shape) };
}

/**
 * x·cos + rotate_half(x)·sin with rotate_half(x) = [−x₂, x₁]: written as x·cos + [x₂, x₁]·signedSin.
 * x (B, T, h, hs) → (B, T, h, hs).
 */
export function applyRope(x: tf.Tensor4D, tables: RopeTables): tf.Tensor4D {
  const hs = x.shape[3];
  const [x1, x2] = tf.split(x, [hs / 2, hs / 2], 3) as [tf.Tensor4D, tf.Tensor4D]; // 2 × (B, T, h, hs/2)
  const swapped = tf.concat([x2, x1], 3); // (B, T, h, hs)
  return x.mul(tables.cos).add(swapped.mul(tables.signedSin)); // (B, T, h, hs)
}
