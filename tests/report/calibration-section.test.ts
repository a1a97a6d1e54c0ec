/**
 * The calibrated-mode page's sentences for each way a run can end, and the rule's text from
 * the constants training.json records (or without them, for logs written before).
 */
import { describe, expect, it } from 'vitest';
import { outcomeText, ruleText } from '../../src/main/report/calibration-section.ts';
import type { FinishedRun } from '../../src/main/report/run-folder.ts';
import type { TrainingLog } from '../../src/shared/training.ts';
import { CALIBRATED_RULE } from '../../src/worker/unlearn/calibrated.ts';

const log = (over: Partial<TrainingLog>): TrainingLog => ({
  method: 'targetnll',
  config: {},
  backend: 'wasm',
  forgetSequences: 10,
  retainSequences: 90,
  totalSteps: 240,
  resumedFrom: 0,
  cancelled: false,
  steps: [],
  ...over,
});

const calibration = {
  targetAuc: 0.71,
  attack: 'minK' as const,
  checkEvery: 2,
  calibrationSequences: 10,
  decisions: [],
};

const runWith = (training: TrainingLog, reference: boolean) =>
  ({
    training,
    manifest: {
      inputs: reference ? { reference: { path: 'ref', bytes: 1, sha256: '0'.repeat(64) } } : {},
    },
  }) as unknown as FinishedRun;

describe('the calibrated-mode page', () => {
  it('says how the run ended: no step, stopped at a step, budget spent, cancelled', () => {
    expect(outcomeText(log({ stoppedEarly: { step: 0, reason: 'AUC 0.52 ≤ 0.55' } }))).toBe(
      'Outcome: no step was taken — AUC 0.52 ≤ 0.55.',
    );
    expect(outcomeText(log({ stoppedEarly: { step: 84, reason: 'AUC 0.690 ≤ 0.76' } }))).toBe(
      'Outcome: stopped after step 84 of a budget of 240 — AUC 0.690 ≤ 0.76.',
    );
    expect(outcomeText(log({}))).toMatch(/whole budget of 240 steps ran without reaching/);
    expect(outcomeText(log({ cancelled: true }))).toBe('Outcome: cancelled after 0 steps.');
  });

  it('states the rule with the recorded constants, and where the target came from', () => {
    const withRule = ruleText(
      runWith(log({ calibration: { ...calibration, rule: { ...CALIBRATED_RULE } } }), true),
      { ...calibration, rule: { ...CALIBRATED_RULE } },
    );
    expect(withRule).toContain('Every 2 optimizer steps it measured the Min-K% attack’s AUC');
    expect(withRule).toContain('the 10 forget sequences from 10 calibration sequences');
    expect(withRule).toContain('The target is 0.710, the reference model’s own AUC');
    expect(withRule).toContain(`at most ${(0.71 + CALIBRATED_RULE.stopMargin).toFixed(3)}`);
    expect(withRule).toContain(`below ${(0.71 - CALIBRATED_RULE.band).toFixed(3)}`);
    expect(withRule).toContain(`after ${CALIBRATED_RULE.maxBackoffs} back-offs`);

    const noReference = { ...calibration, targetAuc: 0.5, attack: 'loss' as const };
    const old = ruleText(runWith(log({ calibration: noReference }), false), noReference);
    expect(old).toContain('The target is 0.500, what a model with no memory');
    expect(old).toContain('loss attack’s AUC');
    expect(old).toContain('near the target'); // no constants recorded: no numbers invented
    expect(old).not.toContain('back-offs the run ends');
    const everyStep = { ...noReference, checkEvery: 1 };
    expect(ruleText(runWith(log({ calibration: everyStep }), false), everyStep)).toContain(
      'After every optimizer step it measured',
    );
  });
});
