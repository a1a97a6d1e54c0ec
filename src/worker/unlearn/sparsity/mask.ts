/**
 * The sparsity masks of SAU (ALGORITHMS.md, "SAU — sparsity-aware unlearning", step 1): one 0/1
 * mask per block linear weight, read off the zeros of the loaded (or `prune`d) model. Masking the
 * gradients and re-imposing θ ← M ⊙ θ after every optimizer step keeps the sparsity of the run
 * exactly what it was before.
 *
 * Weights are in internal layout [in, out] (CausalLM.params), so a mask has the same shape.
 */
import * as tf from '@tensorflow/tfjs';
import { nativeKernelsActive } from '../../engine/wasm-kernels/native-active.ts';
import { MASK_KEEP } from '../../engine/wasm-kernels/native-layers.ts';
import { isBlockLinearWeight } from '../../model/weight-names.ts';

export class SparsityMasks {
  private cachedSparsity: number | undefined;

  private constructor(private readonly masks: Map<string, tf.Tensor>) {}

  /**
   * One mask per block linear weight in `params`: 1 where the value is non-zero (a survivor),
   * 0 where it is exactly ±0 (pruned). Embeddings, norms, biases and the head are never masked.
   * The masks are kept (not disposed) until `dispose()`.
   */
  static fromZeros(params: ReadonlyMap<string, tf.Variable>): SparsityMasks {
    const masks = new Map<string, tf.Tensor>();
    for (const [name, weight] of params) {
      if (!isBlockLinearWeight(name)) continue;
      const mask = tf.tidy(() => tf.notEqual(weight, 0).cast('float32')); // [in, out]
      masks.set(name, tf.keep(mask));
    }
    return new SparsityMasks(masks);
  }

  /**
   * 1 where a tensor is exactly zero, 0 elsewhere, per block linear weight (a host copy, for tests
   * and checks). Reads the tensors back synchronously.
   */
  static zeroPattern(params: ReadonlyMap<string, tf.Tensor>): Map<string, Uint8Array> {
    const patterns = new Map<string, Uint8Array>();
    for (const [name, weight] of params) {
      if (!isBlockLinearWeight(name)) continue;
      const zeros = tf.tidy(() => tf.equal(weight, 0).cast('int32')); // [in, out]
      patterns.set(name, Uint8Array.from(zeros.dataSync()));
      zeros.dispose();
    }
    return patterns;
  }

  /** The names of the masked weights. */
  get names(): readonly string[] {
    return [...this.masks.keys()];
  }

  has(name: string): boolean {
    return this.masks.has(name);
  }

  /** The mask of `name` (owned by this object: do not dispose), or undefined if not masked. */
  get(name: string): tf.Tensor | undefined {
    return this.masks.get(name);
  }

  /** The fraction of pruned entries over all masked weights (0 when nothing is masked). */
  sparsity(): number {
    if (this.cachedSparsity !== undefined) return this.cachedSparsity;
    let total = 0;
    let survivors = 0;
    for (const mask of this.masks.values()) {
      total += mask.size;
      const kept = mask.sum(); // ()
      survivors += kept.dataSync()[0]!;
      kept.dispose();
    }
    this.cachedSparsity = total === 0 ? 0 : (total - survivors) / total;
    return this.cachedSparsity;
  }

  /**
   * G̃ = M ⊙ G for the masked names; other gradients come back as clones. All returned tensors
   * are new: the caller disposes them (and still owns `grads`).
   */
  maskGradients(grads: ReadonlyMap<string, tf.Tensor>): Map<string, tf.Tensor> {
    const masked = new Map<string, tf.Tensor>();
    for (const [name, grad] of grads) {
      const mask = this.masks.get(name);
      if (mask === undefined) {
        masked.set(name, grad.clone());
        continue;
      }
      this.checkShape(name, grad.shape, mask.shape);
      masked.set(
        name,
        tf.tidy(() => grad.mul(mask)), // [in, out]
      );
    }
    return masked;
  }

  /**
   * θ ← M ⊙ θ for every masked weight. Pruned entries become +0 (a `where`, not a product, so
   * −x·0 = −0 and ∞·0 = NaN cannot appear); survivors keep their exact bits.
   */
  reimpose(params: ReadonlyMap<string, tf.Variable>): void {
    for (const [name, mask] of this.masks) {
      const weight = params.get(name);
      if (weight === undefined) {
        throw new Error(
          `SparsityMasks.reimpose: no parameter "${name}" (the mask was built for it)`,
        );
      }
      this.checkShape(name, weight.shape, mask.shape);
      tf.tidy(() => {
        const kept = nativeKernelsActive()
          ? (tf.engine().runKernel(MASK_KEEP, { w: weight, mask }) as tf.Tensor) // one pass
          : tf.where(mask.cast('bool'), weight, tf.zerosLike(weight)); // [in, out]
        weight.assign(kept);
      });
    }
  }

  /**
   * Whether every masked weight in `params` is zero exactly where its mask is 0 (no survivor has
   * become zero and no pruned entry has moved). Reads back synchronously; for tests and checks.
   */
  samePattern(params: ReadonlyMap<string, tf.Tensor>): boolean {
    for (const [name, mask] of this.masks) {
      const weight = params.get(name);
      if (weight === undefined || !sameShape(weight.shape, mask.shape)) return false;
      const mismatches = tf.tidy(
        () => tf.notEqual(tf.notEqual(weight, 0).cast('float32'), mask).cast('int32').sum(), // ()
      );
      const count = mismatches.dataSync()[0]!;
      mismatches.dispose();
      if (count !== 0) return false;
    }
    return true;
  }

  dispose(): void {
    for (const mask of this.masks.values()) mask.dispose();
    this.masks.clear();
    this.cachedSparsity = undefined;
  }

  private checkShape(name: string, shape: readonly number[], maskShape: readonly number[]): void {
    if (!sameShape(shape, maskShape)) {
      throw new Error(
        `SparsityMasks: "${name}" has shape [${shape.join(', ')}] but its mask is [${maskShape.join(', ')}]`,
      );
    }
  }
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((d, i) => d === b[i]);
}
