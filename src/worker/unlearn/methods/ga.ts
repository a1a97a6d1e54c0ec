/** `ga`: gradient ascent on the forget set, −ℓ(θ; D_f) (the simplest baseline; no retain term). */
import type { UnlearningMethod } from '../method.ts';
import { meanNll } from '../losses.ts';
import { allParameters } from './shared.ts';

export const ga: UnlearningMethod = {
  name: 'ga',
  summary: 'gradient ascent on the forget set (baseline; utility usually collapses)',
  needsRetain: false,
  keys: [],
  async prepare({ model }) {
    return {
      trainable: allParameters(model),
      loss({ forget }) {
        const forgetNll = meanNll(model, forget);
        return { total: forgetNll.neg(), terms: { forgetNll } };
      },
      dispose() {},
    };
  },
};
