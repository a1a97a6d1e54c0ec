/**
 * Importance-aware gradient redistribution of SAU (ALGORITHMS.md, "SAU — sparsity-aware
 * unlearning", step 2). Our documented reading of the abstract and reviews (the full paper was not
 * available): the gradient mass that lands on pruned positions of an output row is handed to that
 * row's survivors, in proportion to their importance, instead of being thrown away.
 *
 * Layout: block linear weights are internal [in, out], so ALGORITHMS.md's "output row i" is
 * COLUMN i here and "input j" is row j; every per-output sum reduces over axis 0.
 */
import * as tf from '@tensorflow/tfjs';
import { nativeKernelsActive } from '../../engine/wasm-kernels/native-active.ts';
import { SAU_IMPORTANCE } from '../../engine/wasm-kernels/native-layers.ts';
import type { SparsityMasks } from './mask.ts';

export type RedistributionMode = 'importance' | 'rownorm' | 'none';
export type ImportanceKind = 'wanda' | 'fisher';

export interface RedistributeOptions {
  /** Fraction of the pruned mass handed back (λ; ALGORITHMS.md default 1). */
  readonly lambda: number;
  /** Importance s_ij ≥ 0, [in, out]; required for `importance`. */
  readonly scores?: tf.Tensor2D;
}

/**
 * The gradient of one masked weight after SAU's redistribution; a new tensor [in, out].
 *
 *   none        M ⊙ G
 *   importance  m_i = Σ_j (1 − M_ij)|G_ij|,
 *               G'_ij = M_ij·(G_ij + λ·m_i·sign(G_ij)·s_ij / Σ_k M_ik s_ik)
 *   rownorm     G'_i = M_i ⊙ G_i · ‖G_i‖ / ‖M_i ⊙ G_i‖
 *
 * Edge cases (chosen here, not in the source):
 * - importance: an output whose survivors' scores sum to 0 (every input pruned, or all scores 0)
 *   has nowhere to send its pruned mass, and gets M ⊙ G only (never NaN).
 * - importance: a survivor with G_ij = 0 has sign 0 and receives nothing, so its share of m_i is
 *   lost. With λ = 1 the per-output mass Σ_j|G'_ij| equals Σ_j|G_ij| exactly when the scores of
 *   such survivors are 0 (always true for Fisher scores, s = G²) and Σ_k M_ik s_ik > 0.
 * - rownorm: an output whose surviving gradient is all zero gets 0.
 */
export function redistribute(
  grad: tf.Tensor2D, // [in, out]
  mask: tf.Tensor2D, // [in, out]
  mode: RedistributionMode,
  options: RedistributeOptions,
): tf.Tensor2D {
  checkSameShape('mask', grad, mask);
  switch (mode) {
    case 'none':
      return tf.tidy(() => grad.mul(mask)); // [in, out]
    case 'importance': {
      const scores = options.scores;
      if (scores === undefined) {
        throw new Error('redistribute: mode "importance" needs `scores` (see importanceScores)');
      }
      checkSameShape('scores', grad, scores);
      return importance(grad, mask, scores, options.lambda);
    }
    case 'rownorm':
      return rownorm(grad, mask);
    default:
      throw new Error(
        `redistribute: unknown mode "${String(mode)}" (known: importance, rownorm, none)`,
      );
  }
}

function importance(
  grad: tf.Tensor2D, // [in, out]
  mask: tf.Tensor2D, // [in, out]
  scores: tf.Tensor2D, // [in, out]
  lambda: number,
): tf.Tensor2D {
  return tf.tidy(() => {
    const lost = tf.sub(1, mask).mul(grad.abs()).sum(0, true); // [1, out]  m_i
    const kept = mask.mul(scores).sum(0, true); // [1, out]  Σ_k M_ik s_ik
    const hasSurvivors = kept.greater(0); // [1, out]
    const safeKept = tf.where(hasSurvivors, kept, tf.onesLike(kept)); // [1, out]
    const perScore = tf.where(hasSurvivors, lost.mul(lambda).div(safeKept), tf.zerosLike(kept)); // [1, out]
    const bonus = grad.sign().mul(scores).mul(perScore); // [in, out]
    return mask.mul(grad.add(bonus)); // [in, out]
  });
}

function rownorm(
  grad: tf.Tensor2D, // [in, out]
  mask: tf.Tensor2D, // [in, out]
): tf.Tensor2D {
  return tf.tidy(() => {
    const masked = mask.mul(grad); // [in, out]
    // Divide by the largest |G_ij| per output before squaring, so that tiny or huge gradients
    // neither underflow to a zero norm nor overflow to ∞ in float32; the ratio is unchanged.
    const peak = grad.abs().max(0, true); // [1, out]
    const safePeak = tf.where(peak.greater(0), peak, tf.onesLike(peak)); // [1, out]
    const full = grad.div(safePeak).square().sum(0, true).sqrt(); // [1, out]  ‖G_i‖/peak
    const survived = masked.div(safePeak).square().sum(0, true).sqrt(); // [1, out]  ‖M_i⊙G_i‖/peak
    const nonzero = survived.greater(0); // [1, out]
    const safeSurvived = tf.where(nonzero, survived, tf.onesLike(survived)); // [1, out]
    const scale = tf.where(nonzero, full.div(safeSurvived), tf.zerosLike(full)); // [1, out]
    return masked.mul(scale); // [in, out]
  });
}

/**
 * Importance s_ij of each entry of a weight, [in, out] (a new tensor):
 *   wanda   |W_ij|·‖X_j‖₂ (Sun et al. 2023, "A Simple and Effective Pruning Approach for LLMs"),
 *           with ‖X_j‖₂ the norm of input feature j over the forget-set activations
 *   fisher  G_ij² (diagonal empirical Fisher of this gradient)
 */
export function importanceScores(
  kind: ImportanceKind,
  weight: tf.Tensor2D, // [in, out]
  grad: tf.Tensor2D, // [in, out]
  inputNorms?: Float32Array, // (in)  ‖X_j‖₂
): tf.Tensor2D {
  checkSameShape('weight', grad, weight, 'importanceScores');
  if (kind === 'fisher') return tf.tidy(() => grad.square()); // [in, out]
  if (kind !== 'wanda') {
    throw new Error(`importanceScores: unknown kind "${String(kind)}" (known: wanda, fisher)`);
  }
  const inputs = weight.shape[0];
  if (inputNorms === undefined) {
    throw new Error(
      'importanceScores: Wanda scores need the input activation norms ‖X_j‖₂ (from forget-set ' +
        'activations); pass inputNorms, or use kind "fisher"',
    );
  }
  if (inputNorms.length !== inputs) {
    throw new Error(
      `importanceScores: inputNorms has ${inputNorms.length} entries, the weight has ${inputs} inputs`,
    );
  }
  return tf.tidy(() => weight.abs().mul(tf.tensor2d(inputNorms, [inputs, 1]))); // [in, out]
}

export interface RedistributeAllOptions {
  readonly lambda: number;
  readonly kind: ImportanceKind;
  /** Current weights by name, [in, out] (for Wanda scores). */
  readonly weights: ReadonlyMap<string, tf.Tensor>;
  /** ‖X_j‖₂ per weight name, (in) (for Wanda scores). */
  readonly inputNorms?: ReadonlyMap<string, Float32Array>;
}

/**
 * `redistribute` applied to every masked gradient; gradients of unmasked params come back as
 * clones. All returned tensors are new: the caller disposes them and still owns `grads`.
 */
export function redistributeAll(
  grads: ReadonlyMap<string, tf.Tensor>,
  masks: SparsityMasks,
  mode: RedistributionMode,
  options: RedistributeAllOptions,
): Map<string, tf.Tensor> {
  const out = new Map<string, tf.Tensor>();
  try {
    for (const [name, grad] of grads) {
      const mask = masks.get(name);
      out.set(
        name,
        mask === undefined
          ? grad.clone()
          : redistributeOne(name, grad as tf.Tensor2D, mask as tf.Tensor2D, mode, options),
      );
    }
  } catch (error) {
    // Nothing half-built outlives a failure (a missing weight or input norm).
    for (const tensor of out.values()) tensor.dispose();
    throw error;
  }
  return out;
}

function redistributeOne(
  name: string,
  grad: tf.Tensor2D, // [in, out]
  mask: tf.Tensor2D, // [in, out]
  mode: RedistributionMode,
  options: RedistributeAllOptions,
): tf.Tensor2D {
  if (mode !== 'importance') return redistribute(grad, mask, mode, { lambda: options.lambda });
  const weight = options.weights.get(name);
  if (weight === undefined) {
    throw new Error(`redistributeAll: no weight "${name}" to score (options.weights)`);
  }
  if (options.kind === 'wanda' && options.inputNorms?.get(name) === undefined) {
    throw new Error(
      `redistributeAll: Wanda scores for "${name}" need its input norms ‖X_j‖₂ (options.inputNorms)`,
    );
  }
  if (nativeKernelsActive())
    return fusedImportance(grad, mask, weight as tf.Tensor2D, name, options);
  return tf.tidy(() => {
    const scores = importanceScores(
      options.kind,
      weight as tf.Tensor2D,
      grad,
      options.inputNorms?.get(name),
    ); // [in, out]
    return redistribute(grad, mask, 'importance', { lambda: options.lambda, scores }); // [in, out]
  });
}

/**
 * `importanceScores` and `redistribute`'s importance mode in one native kernel (two passes over
 * the weight instead of a dozen full-size temporaries): the same formula, its per-output sums in
 * double (tests/unlearn/sau-fused.test.ts).
 */
function fusedImportance(
  grad: tf.Tensor2D, // [in, out]
  mask: tf.Tensor2D, // [in, out]
  weight: tf.Tensor2D, // [in, out]
  name: string,
  options: RedistributeAllOptions,
): tf.Tensor2D {
  checkSameShape('mask', grad, mask);
  checkSameShape('weight', grad, weight, 'importanceScores');
  const norms = options.kind === 'wanda' ? options.inputNorms!.get(name)! : undefined;
  if (norms !== undefined && norms.length !== grad.shape[0])
    throw new Error(
      `importanceScores: inputNorms has ${norms.length} entries, the weight has ${grad.shape[0]} inputs`,
    );
  return tf.tidy(() => {
    const inputs: tf.NamedTensorMap = { g: grad, mask };
    if (norms !== undefined) {
      inputs.weight = weight;
      inputs.norms = tf.tensor1d(norms); // (in)
    }
    return tf.engine().runKernel(SAU_IMPORTANCE, inputs, { lambda: options.lambda }) as tf.Tensor2D;
  });
}

function checkSameShape(
  what: string,
  grad: tf.Tensor,
  other: tf.Tensor,
  caller = 'redistribute',
): void {
  if (grad.rank !== 2 || grad.shape.some((d, i) => d !== other.shape[i]) || other.rank !== 2) {
    throw new Error(
      `${caller}: ${what} has shape [${other.shape.join(', ')}], the gradient [${grad.shape.join(', ')}] (both [in, out])`,
    );
  }
}
