/**
 * `undial`: self-distillation with adjusted logits (Dong et al., NAACL 2025, arXiv 2402.10052;
 * semantics and defaults of open-unlearning's src/trainer/unlearn/undial.py and
 * configs/trainer/UNDIAL.yaml):
 *
 *     γ·mean_t H(softmax(z_ref,t − β·onehot(y_t)), p_θ,t) + α·ℓ(θ; D_r)
 *
 * over the real target positions t of the forget batch: the current model is distilled towards
 * the original model's own next-token distribution with the true token's logit lowered by β, so
 * only that token loses probability and the rest of the distribution keeps its shape. The
 * reference leaves the retain term off (α = 0); with α > 0 it is the retain NLL and the run
 * needs a retain set.
 *
 * z_ref is the logits of a frozen copy of the weights (reference.ts), evaluated per micro-batch
 * outside the gradient tape: precomputing it before training, as npo does its log π_ref, would
 * hold (forget tokens × vocabulary) floats — at a 152k vocabulary 0.6 MB per token, more than a
 * copy of a 0.5B model's weights for ~3,300 forget tokens — while the copy costs 4 B per
 * parameter whatever the forget set's size.
 */
import * as tf from '@tensorflow/tfjs';
import type { Batch } from '../batch.ts';
import { meanNll, undialLoss, undialTargets } from '../losses.ts';
import type { LossTerms, UnlearningMethod } from '../method.ts';
import { frozenCopy } from '../reference.ts';
import { allParameters, retainOf } from './shared.ts';

export const undial: UnlearningMethod = {
  name: 'undial',
  summary: 'self-distillation towards the original model with the true token lowered by β (UNDIAL)',
  needsRetain: (config) => config.alpha > 0,
  keys: ['alpha', 'gamma', 'beta'],
  // open-unlearning's UNDIAL.yaml: β 10, γ 1, α 0 (no retain term), learning rate 1e-4.
  defaults: { beta: 10, gamma: 1, alpha: 0, lr: 1e-4 },
  async prepare({ model, config }) {
    const reference = frozenCopy(model);
    /** The targets of the micro-batch whose forget batch is `batch`, made before its tape. */
    let cached: { batch: Batch; targets: tf.Tensor3D } | null = null;
    const targetsOf = (batch: Batch): tf.Tensor3D =>
      tf.tidy(() => undialTargets(reference.logits(batch.ids), batch.ids, config.beta));
    const release = () => {
      if (cached) cached.targets.dispose();
      cached = null;
    };
    return {
      trainable: allParameters(model),
      async beforeMicroBatch(input) {
        release();
        cached = { batch: input.forget, targets: targetsOf(input.forget) };
      },
      loss(input): LossTerms {
        // Without beforeMicroBatch (a caller other than the trainer), computed here: the same
        // values, the reference's forward pass then recorded on the tape.
        const targets = cached?.batch === input.forget ? cached.targets : targetsOf(input.forget);
        const forgetUndial = undialLoss(model, input.forget, targets);
        if (config.alpha === 0)
          return {
            total: forgetUndial.mul(config.gamma) as tf.Scalar,
            terms: { undial: forgetUndial },
          };
        const retainNll = meanNll(model, retainOf(input, 'undial'));
        const total = forgetUndial.mul(config.gamma).add(retainNll.mul(config.alpha)) as tf.Scalar;
        return { total, terms: { undial: forgetUndial, retainNll } };
      },
      afterUpdate: release,
      dispose() {
        release();
        reference.dispose();
      },
    };
  },
};
