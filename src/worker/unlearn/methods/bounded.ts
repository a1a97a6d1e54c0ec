/**
 * `bounded`: a base loss (`baseMethod`, default graddiff) through bounded LoRA adapters on the
 * MLP projections (seed 002; ALGORITHMS.md gives our reading): W = W₀ + (α/r)·sin(ω·B·A)/√d_in,
 * base weights frozen, so every entry of the update stays within (α/r)/√d_in. `bound: "tanh"`
 * swaps the function and `bound: "none"` is plain LoRA, W₀ + (α/r)·B·A, for comparison. Adapter
 * and update norms are logged per step; at the end the update is merged into the weights and the
 * adapter is also written on its own (adapter/ in the output folder).
 *
 * The base loss is prepared before the adapters are attached, so whatever it computes from the
 * model once (NPO's reference log-probabilities, KL's and UNDIAL's frozen copy) is the original
 * model's; the adapters start at B = 0, so the model they wrap starts as that same model.
 */
import { join } from 'node:path';
import { LoraAdapters } from '../../model/adapters/lora.ts';
import type { UnlearningMethod } from '../method.ts';
import { BASE_KEYS, baseDefaults, baseOf, FROM_BASE_LOSS } from './base-loss.ts';

export const bounded: UnlearningMethod = {
  name: 'bounded',
  summary:
    'sine-bounded LoRA on the MLP projections: a base loss (GradDiff) with updates and gradients kept bounded',
  ...FROM_BASE_LOSS,
  keys: [...BASE_KEYS, 'rank', 'loraAlpha', 'omega', 'bound'],
  // Adapters train at a higher rate than the full-parameter base losses.
  defaults: (raw) => ({ ...baseDefaults(raw), lr: 2e-4 }),
  calibratedLr: 1e-3,
  async prepare(context) {
    const { model, config } = context;
    const base = await baseOf(config.baseMethod).prepare(context);
    const adapters = LoraAdapters.attach(model, {
      rank: config.rank,
      alpha: config.loraAlpha ?? 2 * config.rank,
      omega: config.omega,
      bound: config.bound,
      seed: config.seed,
    });
    return {
      trainable: adapters.variables,
      ...(base.beforeMicroBatch
        ? { beforeMicroBatch: (input) => base.beforeMicroBatch!(input) }
        : {}),
      loss: (input) => base.loss(input),
      ...(base.afterUpdate ? { afterUpdate: () => base.afterUpdate!() } : {}),
      ...(base.extraTokens ? { extraTokens: () => base.extraTokens!() } : {}),
      stepLog: async () => ({ ...(await base.stepLog?.()), ...(await adapters.norms()) }),
      async finish(outFolder) {
        await adapters.exportAdapter(join(outFolder, 'adapter'));
        adapters.merge();
      },
      dispose() {
        base.dispose();
        adapters.dispose();
      },
    };
  },
};
