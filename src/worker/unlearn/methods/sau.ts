/**
 * `sau`: sparsity-aware unlearning (seed 000; ALGORITHMS.md gives our reading of the abstract).
 * On a pruned model (zeros found on load, or made by `nepenthe prune`), the base method's
 * gradient (`baseMethod`, default graddiff) is rewritten before clipping:
 *   1. masked to the survivors, G̃ = M ⊙ G, so no update lands on a pruned position and AdamW's
 *      moments stay exactly 0 there (they are stored densely, but only survivors ever move);
 *   2. redistributed (`redistribution`): the mass that fell on pruned positions of each output
 *      goes to that output's survivors by importance (`importance`: Wanda |W|·‖X‖ from the
 *      forget set's activations, or Fisher G²), or the survivors are rescaled to the full
 *      row norm (`rownorm`), or nothing (`none`, masking only);
 * and after every update the zeros are re-imposed, θ ← M ⊙ θ, so the sparsity after the run is
 * the sparsity before, bit for bit on the zero pattern.
 */
import type * as tf from '@tensorflow/tfjs';
import { UserInputError } from '../../../shared/errors.ts';
import { inputNorms } from '../../prune/activations.ts';
import type { UnlearningMethod } from '../method.ts';
import { SparsityMasks } from '../sparsity/mask.ts';
import { redistributeAll } from '../sparsity/redistribute.ts';
import { BASE_KEYS, baseDefaults, baseOf, FROM_BASE_LOSS } from './base-loss.ts';

export const sau: UnlearningMethod = {
  name: 'sau',
  summary:
    'sparsity-aware unlearning for pruned models: masked, redistributed gradients; sparsity kept exactly',
  ...FROM_BASE_LOSS,
  // The base loss's defaults and calibrated start (targetnll's retain weight, for one).
  defaults: baseDefaults,
  calibratedLr: (config) => baseOf(config.baseMethod).calibratedLr as number | undefined,
  keys: [...BASE_KEYS, 'redistribution', 'lambda', 'importance'],
  async prepare(context) {
    const { model, config, forget } = context;
    const masks = SparsityMasks.fromZeros(model.params);
    const sparsity = masks.sparsity();
    if (sparsity === 0) {
      masks.dispose();
      throw new UserInputError(
        undefined,
        'sau needs a pruned model, and this one has no zero weights in its block linears; prune it first (nepenthe prune) or choose another method',
      );
    }
    const base = await baseOf(config.baseMethod).prepare(context);
    const norms =
      config.redistribution === 'importance' && config.importance === 'wanda'
        ? await inputNorms(model, forget, {
            onProgress: (done, total) =>
              context.onProgress?.('forget-set activations', done, total),
          })
        : undefined;
    return {
      trainable: base.trainable,
      ...(base.beforeMicroBatch
        ? { beforeMicroBatch: (input) => base.beforeMicroBatch!(input) }
        : {}),
      loss: (input) => base.loss(input),
      transformGradients(grads: ReadonlyMap<string, tf.Tensor>) {
        return redistributeAll(grads, masks, config.redistribution, {
          lambda: config.lambda,
          kind: config.importance,
          weights: model.params,
          ...(norms ? { inputNorms: norms } : {}),
        });
      },
      afterUpdate() {
        masks.reimpose(model.params);
        base.afterUpdate?.(); // undial frees its micro-batch targets
      },
      stepLog: async () => ({ ...(await base.stepLog?.()), sparsity }),
      dispose() {
        base.dispose();
        masks.dispose();
      },
    };
  },
};
