/**
 * Calibrated mode's decisions in words, one line each: what the CLI prints as they are taken,
 * and what the app's run screen and the report show. The rule itself is
 * src/worker/unlearn/calibrated.ts (docs/methods.md "Calibrated mode").
 */
import type { CalibrationAttackName, CalibrationDecision, CalibrationUpdate } from './training.ts';

/** Each attack's name in the run's messages. */
export const ATTACK_NAMES: Readonly<Record<CalibrationAttackName, string>> = {
  loss: 'loss attack',
  minK: 'Min-K% attack',
};

/** What each action means, for a reader who has not read the rule. */
export const ACTION_WORDS: Readonly<Record<CalibrationDecision['action'], string>> = {
  start: 'measured before training',
  accept: 'kept going',
  speedup: 'raised the learning rate',
  backoff: 'backed off',
  stop: 'stopped',
};

/** How often the rule checks, as a sentence's start: "Every 2 optimizer steps", "After every optimizer step". */
export const checkInterval = (steps: number): string =>
  steps === 1 ? 'After every optimizer step' : `Every ${steps} optimizer steps`;

/** e.g. "calibrated mode, step 12: backed off — Min-K% attack AUC 0.934 (target 0.710), …". */
export function decisionLine({ decision: d, targetAuc, attack }: CalibrationUpdate): string {
  const recited =
    d.retainRecited === null ? '' : `, retain probe recited ${d.retainRecited.toFixed(2)}`;
  return (
    `calibrated mode, step ${d.step}: ${ACTION_WORDS[d.action]} — ${ATTACK_NAMES[attack]} AUC ` +
    `${d.auc.toFixed(3)} (target ${targetAuc.toFixed(3)})${recited}, retain NLL ` +
    `${d.retainNll.toFixed(3)}, learning rate ×${d.lrScale}; ${d.reason}`
  );
}
