/** The metric families of the eval document, in the order they run. One module each. */
import { forgetQuality } from './forget-quality.ts';
import { knowledge } from './knowledge.ts';
import { membership } from './membership.ts';
import { memorization } from './memorization.ts';
import { pii } from './pii.ts';
import { risk } from './risk.ts';
import { truthRatioFamily } from './truth-ratio.ts';
import { knowMem, modelUtility } from './utility.ts';
import type { MetricFamily } from './family.ts';

export const METRIC_FAMILIES: readonly MetricFamily[] = [
  memorization,
  pii,
  knowledge,
  knowMem,
  truthRatioFamily,
  membership,
  risk,
  forgetQuality,
  modelUtility,
];

export * from './family.ts';
export { QA_ANSWER_TOKENS } from './knowledge.ts';
