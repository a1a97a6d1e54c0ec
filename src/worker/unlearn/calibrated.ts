/**
 * Calibrated mode (docs/methods.md "Calibrated mode"): the run steers itself by documents the
 * model never saw instead of by a fixed learning rate and epoch count. Every `checkEvery` steps
 * it measures, outside the gradient tape:
 *   - the loss attack's AUC, forget sequences against the calibration sequences (member score
 *     −ℓ, ℓ a sequence's mean token NLL): 1 when the forget set is recognised, 0.5 when it looks
 *     like unseen documents, below 0.5 when it stands out by a *high* loss (over-unlearned) —
 *     or, with `attack: 'minK'`, the Min-K% attack's (the one PrivLeak and so the verdict against
 *     a reference model use; an audit with a reference steers by it);
 *   - the gap between the calibration sequences' mean NLL and the forget sequences' (how far
 *     the forget set still is from looking unseen, in nats; the AUC saturates at 1 long before);
 *   - the mean NLL of a fixed sample of retain sequences, and the share of them the model still
 *     recites: greedy continuations of `RETAIN_CONTINUATION` tokens after a prompt of as many,
 *     equal to the text (the verbatim metric's test, on the retain probe);
 * Before the first step, a forget set whose AUC is already at most `targetAuc + stopMargin`
 * stops the run there: the model shows no sign of having seen it, so there is nothing to undo
 * (and training would only make it stand out by a high loss). The recitation check is skipped
 * for the whole run when the probe recited nothing before training (nothing to keep).
 * After each check it decides, in this order:
 *   1. back off: the retain probe recited less than `retainKept` of what it was before training,
 *      or its NLL above its value before by more than `retainMargin` (relative) and
 *      `retainSlack` (nats: memorized text has an NLL near 0, where a relative margin alone is
 *      noise), or AUC below `targetAuc − band` — restore the last accepted state, halve the
 *      learning rate, reset the optimizer's moments; after `maxBackoffs` the run stops there;
 *   2. stop: AUC at most `targetAuc + stopMargin` — the forget set no longer stands out; of
 *      this state and the last accepted one, the one whose AUC is nearer the target is kept;
 *   3. speed up: the gap closed by less than half of what is still needed per remaining check —
 *      double the learning rate (at most `maxLrScale` times the configured one);
 *   4. accept: this state becomes the one a back-off returns to.
 * Every decision is a record in training.json (`calibration.decisions`). The decisions depend
 * only on the model, the sets and the seed (no clocks), so a run repeats them exactly.
 */
import * as tf from '@tensorflow/tfjs';
import { auc } from '../metrics/formulas/roc.ts';
import { ATTACK_NAMES } from '../../shared/calibration-text.ts';
import type { CausalLM } from '../model/architectures/types.ts';
import type {
  CalibrationAttackName,
  CalibrationDecision,
  CalibrationRule,
  CalibrationUpdate,
} from '../../shared/training.ts';
import type { TokenSequence } from './batch.ts';
import { sequenceNlls } from './methods/targetnll.ts';
import { greedyGenerateMany } from '../model/generate.ts';
import { minKScore } from '../metrics/formulas/mia-scores.ts';
import { computeTokenStats } from '../metrics/token-stats.ts';

export interface CalibratedOptions {
  readonly model: CausalLM;
  /** The variables the run trains (what a back-off restores). */
  readonly trainable: ReadonlyMap<string, tf.Variable>;
  readonly forget: readonly TokenSequence[];
  readonly calibration: readonly TokenSequence[];
  /** A fixed sample of retain sequences (may be empty: no retain check). */
  readonly retainProbe: readonly TokenSequence[];
  readonly batchSize: number;
  /** Optimizer steps between checks. */
  readonly checkEvery: number;
  readonly totalSteps: number;
  /** The AUC of a model that never saw the forget set: 0.5, or a reference model's. */
  readonly targetAuc?: number;
  /** The attack whose AUC the rule reads (default `loss`). */
  readonly attack?: CalibrationAttack;
  /** Called with each decision as it is taken (the live view). */
  readonly onDecision?: (update: CalibrationUpdate) => void;
}

/** The rule's constants (docs/methods.md). */
export const CALIBRATED_RULE: Readonly<CalibrationRule> = Object.freeze({
  band: 0.1,
  stopMargin: 0.05,
  retainMargin: 0.1,
  retainSlack: 0.1,
  retainKept: 0.95,
  maxBackoffs: 4,
  maxLrScale: 2,
});

/** What the trainer does after a check. */
export type ControlAction =
  | { readonly kind: 'continue' }
  | { readonly kind: 'stop'; readonly reason: string }
  /** Parameters restored: reset the optimizer's moments, go on at `lrScale`. */
  | { readonly kind: 'restored'; readonly lrScale: number };

export interface CalibratedController {
  /** The learning rate's factor now (1 at the start). */
  readonly lrScale: number;
  readonly decisions: readonly CalibrationDecision[];
  readonly targetAuc: number;
  readonly attack: CalibrationAttack;
  /** The rule's constants the decisions apply. */
  readonly rule: Readonly<CalibrationRule>;
  /** Optimizer steps between checks (as given). */
  readonly checkEvery: number;
  /**
   * Measures the state before training (call once, before the first step). `stop` when the
   * forget set already looks unseen: there is nothing to unlearn, and any step would only push
   * it toward standing out by a high loss.
   */
  start(): Promise<ControlAction>;
  /** After optimizer step `step` (1-based). */
  afterStep(step: number): Promise<ControlAction>;
  dispose(): void;
}

/** Prompt and continuation tokens of the retain recitation check. */
export const RETAIN_CONTINUATION = 32;

/** Tolerance of the AUC comparisons (an AUC of n×m pairs is a ratio of integers). */
const AUC_EPSILON = 1e-9;

/** The share of `probe` whose next RETAIN_CONTINUATION tokens the model recites greedily. */
async function recitedShare(model: CausalLM, probe: readonly TokenSequence[]): Promise<number> {
  const n = RETAIN_CONTINUATION;
  const long = probe.filter((s) => s.ids.length >= 2 * n);
  if (long.length === 0) return 1;
  const outputs = await greedyGenerateMany(
    model,
    long.map((s) => ({ prompt: s.ids.slice(0, n), maxNewTokens: n })),
  );
  const exact = outputs.filter((o, i) => o.every((t, j) => t === long[i]!.ids[n + j])).length;
  return exact / long.length;
}

/**
 * The membership attack calibrated mode steers by: `loss` (member score −ℓ, ℓ a sequence's mean
 * token NLL) or `minK` (Min-K%, k = 0.4: the mean of a sequence's lowest 40 % token
 * log-probabilities — the attack MUSE's PrivLeak, and so the verdict against a reference, uses).
 */
export type CalibrationAttack = CalibrationAttackName;

/** The attack's AUC of forget against held sequences; the sequences' mean NLLs too. */
export async function membershipAttack(
  model: CausalLM,
  forget: readonly TokenSequence[],
  held: readonly TokenSequence[],
  batchSize: number,
  attack: CalibrationAttack = 'loss',
): Promise<{ auc: number; forgetNll: number[]; heldNll: number[] }> {
  if (attack === 'loss') {
    const score = (nlls: number[]) => nlls.map((v) => -v);
    const forgetNll = await sequenceNlls(model, forget, batchSize);
    const heldNll = await sequenceNlls(model, held, batchSize);
    return { auc: auc(score(forgetNll), score(heldNll)), forgetNll, heldNll };
  }
  const stats = async (set: readonly TokenSequence[]) =>
    computeTokenStats(
      model,
      set.map((s) => s.ids),
      { batchSize },
    );
  const [f, h] = [await stats(forget), await stats(held)];
  const meanNll = (logProbs: readonly number[]) => -mean(logProbs);
  return {
    auc: auc(
      f.map((s) => minKScore(s.logProbs)),
      h.map((s) => minKScore(s.logProbs)),
    ),
    forgetNll: f.map((s) => meanNll(s.logProbs)),
    heldNll: h.map((s) => meanNll(s.logProbs)),
  };
}

interface Measurement {
  readonly auc: number;
  readonly retainNll: number;
  /** null: not measured (the probe recited nothing before training). */
  readonly retainRecited: number | null;
  readonly gap: number;
}

const mean = (values: readonly number[]): number =>
  values.length === 0 ? 0 : values.reduce((sum, v) => sum + v, 0) / values.length;

export function calibratedController(options: CalibratedOptions): CalibratedController {
  const rule = CALIBRATED_RULE;
  const targetAuc = options.targetAuc ?? 0.5;
  const attackName = options.attack ?? 'loss';
  const decisions: CalibrationDecision[] = [];
  let lrScale = 1;
  let backoffs = 0;
  let retainBefore = 0;
  let recitedBefore = 1;
  let lastGap = 0;
  let acceptedAuc = 1;
  let accepted: Map<string, tf.Tensor> | null = null;

  /** Recitation is measured only while there is some to keep (it was above 0 before). */
  let measureRecitation = true;
  const measure = async (): Promise<Measurement> => {
    const attack = await membershipAttack(
      options.model,
      options.forget,
      options.calibration,
      options.batchSize,
      attackName,
    );
    const { forgetNll, heldNll } = attack;
    const retainNll = mean(
      await sequenceNlls(options.model, options.retainProbe, options.batchSize),
    );
    const gap = mean(heldNll) - mean(forgetNll);
    const retainRecited = measureRecitation
      ? await recitedShare(options.model, options.retainProbe)
      : null;
    return { auc: attack.auc, retainNll, retainRecited, gap };
  };
  const snapshot = () => {
    if (accepted) tf.dispose([...accepted.values()]);
    accepted = new Map([...options.trainable].map(([name, v]) => [name, tf.keep(v.clone())]));
  };
  const restore = () => {
    for (const [name, v] of options.trainable) v.assign(accepted!.get(name)!);
  };
  const record = (
    step: number,
    action: CalibrationDecision['action'],
    m: Measurement,
    why: string,
  ) => {
    const decision: CalibrationDecision = {
      step,
      action,
      auc: m.auc,
      gap: m.gap,
      retainNll: m.retainNll,
      retainRecited: m.retainRecited,
      lrScale,
      reason: why,
    };
    decisions.push(decision);
    options.onDecision?.({ decision, targetAuc, attack: attackName });
  };

  return {
    get lrScale() {
      return lrScale;
    },
    decisions,
    targetAuc,
    attack: attackName,
    rule,
    checkEvery: options.checkEvery,
    async start() {
      const m = await measure();
      retainBefore = m.retainNll;
      recitedBefore = m.retainRecited ?? 0;
      measureRecitation = recitedBefore > 0;
      lastGap = m.gap;
      acceptedAuc = m.auc;
      if (m.auc <= targetAuc + rule.stopMargin + AUC_EPSILON) {
        const already =
          m.auc < targetAuc - rule.band - AUC_EPSILON
            ? 'the forget set already stands out by a high loss, which training would only raise'
            : 'the forget set already looks like documents the model never saw';
        const why = `before training: AUC ${m.auc.toFixed(3)} ≤ ${targetAuc + rule.stopMargin}, ${already}; no step taken`;
        record(0, 'stop', m, why);
        return {
          kind: 'stop',
          reason: `the ${ATTACK_NAMES[attackName]}'s AUC, forget against calibration documents, is ${m.auc.toFixed(3)} before training (target ${targetAuc}): nothing to unlearn`,
        };
      }
      snapshot();
      record(0, 'start', m, `before training: AUC ${m.auc.toFixed(3)}, target ${targetAuc}`);
      return { kind: 'continue' };
    },
    async afterStep(step) {
      if (step % options.checkEvery !== 0 && step < options.totalSteps) return { kind: 'continue' };
      const m = await measure();
      const retainLimit = Math.max(
        retainBefore * (1 + rule.retainMargin),
        retainBefore + rule.retainSlack,
      );
      const recitedLimit = recitedBefore * rule.retainKept;
      const forgotRetain = m.retainRecited !== null && m.retainRecited < recitedLimit - 1e-9;
      const harmed = options.retainProbe.length > 0 && (m.retainNll > retainLimit || forgotRetain);
      const overshot = m.auc < targetAuc - rule.band - AUC_EPSILON;
      if (harmed || overshot) {
        restore();
        backoffs += 1;
        const why = forgotRetain
          ? `the retain probe recited ${m.retainRecited!.toFixed(2)} < ${recitedLimit.toFixed(2)} (before ${recitedBefore.toFixed(2)})`
          : harmed
            ? `retain NLL ${m.retainNll.toFixed(3)} > ${retainLimit.toFixed(3)} (before ${retainBefore.toFixed(3)})`
            : `AUC ${m.auc.toFixed(3)} < ${(targetAuc - rule.band).toFixed(2)}: over-unlearned`;
        if (backoffs > rule.maxBackoffs) {
          record(step, 'stop', m, `${why}; restored the last accepted state, no back-offs left`);
          return { kind: 'stop', reason: `${why}; the last accepted state was kept` };
        }
        lrScale /= 2;
        record(step, 'backoff', m, `${why}; restored the last accepted state, lr halved`);
        return { kind: 'restored', lrScale };
      }
      if (m.auc <= targetAuc + rule.stopMargin + AUC_EPSILON) {
        // Past the target: keep whichever of this state and the last accepted one is nearer.
        const keepAccepted = Math.abs(acceptedAuc - targetAuc) < Math.abs(m.auc - targetAuc);
        if (keepAccepted) restore();
        const kept = keepAccepted ? acceptedAuc : m.auc;
        const why = `AUC ${m.auc.toFixed(3)} ≤ ${targetAuc + rule.stopMargin}${keepAccepted ? `; the last accepted state (AUC ${acceptedAuc.toFixed(3)}) is nearer ${targetAuc} and was kept` : ''}`;
        record(step, 'stop', m, why);
        return {
          kind: 'stop',
          reason: `the ${ATTACK_NAMES[attackName]}'s AUC, forget against calibration documents, is ${kept.toFixed(3)} (target ${targetAuc})${keepAccepted ? `, kept from an earlier check (this one: ${m.auc.toFixed(3)})` : ''}`,
        };
      }
      const checksLeft = Math.max(1, Math.ceil((options.totalSteps - step) / options.checkEvery));
      const needed = Math.max(0, m.gap) / checksLeft;
      const closed = lastGap - m.gap;
      lastGap = m.gap;
      acceptedAuc = m.auc;
      snapshot();
      if (needed > 0 && closed < needed / 2 && lrScale < rule.maxLrScale) {
        lrScale *= 2;
        record(
          step,
          'speedup',
          m,
          `the gap to unseen documents closed by ${closed.toFixed(3)} nats, ${needed.toFixed(3)} per check still needed: lr doubled`,
        );
      } else record(step, 'accept', m, `the gap closed by ${closed.toFixed(3)} nats`);
      return { kind: 'continue' };
    },
    dispose() {
      if (accepted) tf.dispose([...accepted.values()]);
      accepted = null;
    },
  };
}
