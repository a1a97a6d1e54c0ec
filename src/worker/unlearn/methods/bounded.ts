/**
 * `bounded`: GradDiff through bounded LoRA adapters on the MLP projections (seed 002;
 * ALGORITHMS.md gives our reading): W = W₀ + (α/r)·sin(ω·B·A)/√d_in, base weights frozen, so
 * every entry of the update stays within (α/r)/√d_in. `bound: "tanh"` swaps the function and
 * `bound: "none"` is plain LoRA, W₀ + (α/r)·B·A, for comparison. Adapter and update norms are
 * logged per step; at the end the update is merged into the weights and the adapter is also
 * written on its own (adapter/ in the output folder).
 */
import { join } from 'node:path';
import { LoraAdapters } from '../../model/adapters/lora.ts';
import type { UnlearningMethod } from '../method.ts';
import { gradDiffLoss } from './shared.ts';

export const bounded: UnlearningMethod = {
  name: 'bounded',
  summary:
    'sine-bounded LoRA on the MLP projections: GradDiff with updates and gradients kept bounded',
  needsRetain: true,
  keys: ['alpha', 'gamma', 'rank', 'loraAlpha', 'omega', 'bound'],
  defaults: { lr: 2e-4 },
  calibratedLr: 1e-3,
  async prepare({ model, config }) {
    const adapters = LoraAdapters.attach(model, {
      rank: config.rank,
      alpha: config.loraAlpha ?? 2 * config.rank,
      omega: config.omega,
      bound: config.bound,
      seed: config.seed,
    });
    return {
      trainable: adapters.variables,
      loss: (input) => gradDiffLoss(model, input, config, 'bounded'),
      stepLog: async () => ({ ...(await adapters.norms()) }),
      async finish(outFolder) {
        await adapters.exportAdapter(join(outFolder, 'adapter'));
        adapters.merge();
      },
      dispose: () => adapters.dispose(),
    };
  },
};
