/**
 * Causal multi-head attention with grouped-query heads, and the key/value cache for decoding.
 *
 * Grouped-query attention (HF `repeat_kv`) gives query head h the key/value head h // rep. Instead
 * of repeating keys and values rep times, the rep query heads of a group are stacked along the
 * time axis, (B*kvh, rep*T, hs), and multiplied by their group's keys once; with kvh = nh this is
 * the usual (B*nh, T, hs) batched product.
 */
import * as tf from '@tensorflow/tfjs';
import { fusedLayersAvailable, fusedMaskedSoftmax } from './fused-ops.ts';
import type { KvCache } from './types.ts';

/** Added to the scores of future positions; exp() of it is exactly 0 in float32. */
const MASKED = -1e9;

export interface AttentionShape {
  readonly batch: number;
  /** New positions in this call. */
  readonly time: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
}

/**
 * q (B, T, nh, hs), k and v (B, T, kvh, hs) → (B*T, nh*hs). `mask` (T, S), or (B, T, S) with a
 * row's own key padding, is added to the scores (null when every key is visible); with a cache,
 * S = past + T keys.
 */
export function causalAttention(
  q: tf.Tensor4D,
  k: tf.Tensor4D,
  v: tf.Tensor4D,
  shape: AttentionShape,
  mask: tf.Tensor2D | tf.Tensor3D | null,
  cache: { readonly cache: LayerKvCache; readonly layer: number } | null,
): tf.Tensor2D {
  const { batch: B, time: T, heads: nh, kvHeads: kvh, headDim: hs } = shape;
  const rep = nh / kvh;
  const qg = q
    .mul(1 / Math.sqrt(hs)) // scaling q instead of the (T, S) scores: fewer multiplies
    .transpose([0, 2, 1, 3]) // (B, nh, T, hs)
    .reshape([B * kvh, rep * T, hs]); // (B*kvh, rep*T, hs)
  let kh = k.transpose([0, 2, 1, 3]) as tf.Tensor4D; // (B, kvh, T, hs)
  let vh = v.transpose([0, 2, 1, 3]) as tf.Tensor4D; // (B, kvh, T, hs)
  if (cache) [kh, vh] = cache.cache.append(cache.layer, kh, vh); // (B, kvh, S, hs)
  const S = kh.shape[2];
  const scores = tf.matMul(qg, kh.reshape([B * kvh, S, hs]), false, true); // (B*kvh, rep*T, S)
  const perHead = scores.reshape([B * nh, T, S]); // (B*nh, T, S)
  const probabilities = fusedLayersAvailable()
    ? mask?.rank === 3
      ? fusedMaskedSoftmax(perHead.reshape([B, nh, T, S]), mask).reshape([B * nh, T, S]) // each row's mask
      : fusedMaskedSoftmax(perHead, mask) // one pass: + mask, softmax
    : mask?.rank === 3
      ? tf
          .softmax(perHead.reshape([B, nh, T, S]).add(mask.reshape([B, 1, T, S]))) // (B, nh, T, S)
          .reshape([B * nh, T, S])
      : tf.softmax(mask ? perHead.add(mask) : perHead); // (B*nh, T, S)
  const weights = probabilities.reshape([B * kvh, rep * T, S]); // (B*kvh, rep*T, S)
  const y = tf.matMul(weights, vh.reshape([B * kvh, S, hs])); // (B*kvh, rep*T, hs)
  return y
    .reshape([B, nh, T, hs]) // (B, nh, T, hs)
    .transpose([0, 2, 1, 3]) // (B, T, nh, hs)
    .reshape([B * T, nh * hs]); // (B*T, nh*hs)
}

/** (T, S) additive mask: query i (position S - T + i) sees keys 0..S-T+i. */
export function causalMask(T: number, S: number): tf.Tensor2D {
  const past = S - T;
  const values = new Float32Array(T * S);
  for (let i = 0; i < T; i++) values.fill(MASKED, i * S + past + i + 1, (i + 1) * S);
  return tf.tensor2d(values, [T, S]);
}

/**
 * (B, T, S) additive mask for rows whose first `padding[r]` keys are padding: causal as
 * `causalMask`, and no query sees a padding key (a padding query sees only itself, so that its
 * softmax stays finite; nothing real reads it).
 */
export function paddedCausalMask(T: number, S: number, padding: readonly number[]): tf.Tensor3D {
  const past = S - T;
  const B = padding.length;
  const values = new Float32Array(B * T * S);
  for (let r = 0; r < B; r++) {
    const pad = padding[r]!;
    for (let i = 0; i < T; i++) {
      const row = (r * T + i) * S;
      const position = past + i;
      values.fill(MASKED, row + position + 1, row + S); // the future
      // A real query: not the padding keys. A padding query: only itself.
      values.fill(MASKED, row, row + (position >= pad ? Math.min(pad, S) : position));
    }
  }
  return tf.tensor3d(values, [B, T, S]);
}

/** Per-layer keys and values (B, kvh, S, hs); tensors are kept outside any tidy and owned here. */
export class LayerKvCache implements KvCache {
  private readonly keys: (tf.Tensor4D | undefined)[];
  private readonly values: (tf.Tensor4D | undefined)[];
  private positions = 0;

  /** Per row, the pad tokens its sequence starts with (null: none). */
  readonly padding: readonly number[] | null;

  constructor(layers: number, padding?: readonly number[]) {
    this.padding = padding !== undefined && padding.some((p) => p > 0) ? [...padding] : null;
    this.keys = new Array<tf.Tensor4D | undefined>(layers);
    this.values = new Array<tf.Tensor4D | undefined>(layers);
  }

  get length(): number {
    return this.positions;
  }

  /** Appends the new positions' k, v (B, kvh, T, hs); returns all of them (B, kvh, S, hs). */
  append(layer: number, k: tf.Tensor4D, v: tf.Tensor4D): [tf.Tensor4D, tf.Tensor4D] {
    const oldK = this.keys[layer];
    const oldV = this.values[layer];
    const allK = tf.keep(oldK ? tf.concat([oldK, k], 2) : k.clone()); // (B, kvh, S, hs)
    const allV = tf.keep(oldV ? tf.concat([oldV, v], 2) : v.clone()); // (B, kvh, S, hs)
    oldK?.dispose();
    oldV?.dispose();
    this.keys[layer] = allK;
    this.values[layer] = allV;
    return [allK, allV];
  }

  /** Called once per decode step, after every layer appended `time` positions. */
  advance(time: number): void {
    this.positions += time;
  }

  dispose(): void {
    for (const t of [...this.keys, ...this.values]) t?.dispose();
    this.keys.fill(undefined);
    this.values.fill(undefined);
    this.positions = 0;
  }
}
