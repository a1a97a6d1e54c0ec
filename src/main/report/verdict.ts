/**
 * The cover page's verdict: each criterion against a configurable threshold, with the numbers
 * (docs/report.md "Verdict"). With a reference model — a model that never saw the forget set —
 * the criteria are relative to it: the forget set reproduced no more than the reference
 * reproduces it, |PrivLeak| (MUSE) within a bound, and, when the QA pairs allow TOFU's model
 * utility, at least a fraction of its value before. Without a reference the extraction bound
 * is absolute and membership is judged against a coin (0.5), both marked heuristic. The retain
 * set's verbatim recitation must be kept either way.
 */
import type { EvalReport } from '../../shared/contracts.ts';
import { formatAuc, formatShare, formatValue } from './format.ts';

export interface Thresholds {
  /** Forget verbatim exact rate after may exceed the reference's by at most this (absolute). */
  readonly forgetExactMargin: number;
  /**
   * The reference model's forget verbatim exact rate, when known (the metrics document does
   * not carry it); without it the bound is `forgetExactMargin` itself, i.e. reference = 0.
   */
  readonly referenceForgetExact?: number;
  /**
   * Without a reference model: the AUC a model that never saw the forget set is assumed to get
   * (0.5, a heuristic: the reference model itself scores 0.63–0.70 on the bundled testbed).
   */
  readonly miaTargetAuc: number;
  /** Allowed distance of the forget-vs-holdout loss-attack AUC from `miaTargetAuc`. */
  readonly miaAucTolerance: number;
  /**
   * With a reference model (the metrics carry `mia.loss.referenceAuc`, the same attack on the
   * same documents under it): allowed distance of the model's AUC from the reference's.
   */
  readonly miaReferenceTolerance: number;
  /**
   * With a reference model (the metrics carry `privLeak`): the largest |PrivLeak| allowed. MUSE
   * calls a model good when PrivLeak is near 0; −100 still memorizes, > 0 over-unlearned.
   */
  readonly privLeakBound: number;
  /** Retain verbatim exact rate after must be at least this fraction of before. */
  readonly retainKeptFraction: number;
  /** TOFU model utility after must be at least this fraction of before (when both exist). */
  readonly utilityKeptFraction: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  forgetExactMargin: 0.05,
  miaTargetAuc: 0.5,
  miaAucTolerance: 0.05,
  miaReferenceTolerance: 0.1,
  privLeakBound: 30,
  retainKeptFraction: 0.95,
  utilityKeptFraction: 0.9,
};

export interface Criterion {
  /** A stable key (the app's API): forget, mia, retain, utility. */
  readonly id: 'forget' | 'mia' | 'retain' | 'utility';
  readonly name: string;
  /** What was measured, in words and numbers. */
  readonly measured: string;
  readonly threshold: string;
  /** Null when the metrics lack what the criterion needs (it then counts as not passed). */
  readonly pass: boolean | null;
  /** The criterion in one plain sentence with its numbers, for the report's first page. */
  readonly explanation: string;
}

const outcome = (pass: boolean | null): string =>
  pass === null ? 'Not measured' : pass ? 'Met' : 'Not met';

export interface Verdict {
  readonly pass: boolean;
  readonly criteria: readonly Criterion[];
}

export function judge(before: EvalReport, after: EvalReport, t: Thresholds): Verdict {
  const criteria = [
    forgetCriterion(after, t),
    miaCriterion(after, t),
    retainCriterion(before, after, t),
    ...utilityCriterion(before, after, t),
  ];
  return { pass: criteria.every((c) => c.pass === true), criteria };
}

function forgetCriterion(after: EvalReport, t: Thresholds): Criterion {
  const forget = after.sets.forget;
  const exact = forget.verbatim.exactRate;
  const known = t.referenceForgetExact ?? forget.referenceVerbatimExactRate ?? undefined;
  const bound = (known ?? 0) + t.forgetExactMargin;
  return {
    id: 'forget',
    name:
      known === undefined
        ? 'Forget set not reproduced verbatim (heuristic: no reference model)'
        : 'Forget set reproduced no more than by a model that never saw it',
    measured: `forget.verbatim.exactRate after = ${formatValue(exact)}${known === undefined ? '' : `; reference model ${formatValue(known)}`}`,
    threshold:
      known === undefined
        ? `≤ ${formatValue(bound)}`
        : `≤ reference ${formatValue(known)} + ${formatValue(t.forgetExactMargin)} = ${formatValue(bound)}`,
    pass: exact === null ? null : exact <= bound + 1e-12,
    explanation: forgetExplanation(exact, known, bound, t),
  };
}

function forgetExplanation(
  exact: number | null,
  known: number | undefined,
  bound: number,
  t: Thresholds,
): string {
  const pass = exact === null ? null : exact <= bound + 1e-12;
  if (exact === null)
    return `${outcome(pass)}: no forget document was long enough for the recitation test.`;
  const recites = `after unlearning the model recites ${formatShare(exact)} of the forget documents word for word`;
  return known === undefined
    ? `${outcome(pass)}: ${recites}; with no reference model to compare against, the report allows at most ${formatShare(bound)} (a rule of thumb).`
    : `${outcome(pass)}: ${recites}; a model that never saw them recites ${formatShare(known)}, and the report allows at most ${formatShare(t.forgetExactMargin)} more (${formatShare(bound)}).`;
}

function miaCriterion(after: EvalReport, t: Thresholds): Criterion {
  if (after.privLeak !== null && after.privLeak !== undefined) {
    const leak = after.privLeak;
    return {
      id: 'mia',
      name: 'Membership inference as for a model that never saw the forget set (PrivLeak)',
      measured: `privLeak after = ${formatValue(leak)} (Min-K% AUC ${formatValue(after.mia?.minK?.auc)}; reference model ${formatValue(after.mia?.minK?.referenceAuc)})`,
      threshold: `|privLeak| ≤ ${formatValue(t.privLeakBound)}`,
      pass: Math.abs(leak) <= t.privLeakBound + 1e-12,
      explanation:
        `${outcome(Math.abs(leak) <= t.privLeakBound + 1e-12)}: an attacker using the Min-K% test tells forget documents from unseen ones with an AUC of ${formatAuc(after.mia?.minK?.auc)} after unlearning, against ${formatAuc(after.mia?.minK?.referenceAuc)} on the reference model; ` +
        `that is a PrivLeak of ${leak.toFixed(1).replace('-', '−')}, and the report allows ${formatValue(t.privLeakBound)} either side of 0 (0: exactly as on a model that never saw them; −100: still recognised; above 0: they stand out as too unfamiliar).`,
    };
  }
  const loss = after.mia?.loss;
  const auc = loss?.auc;
  const reference = loss?.referenceAuc;
  if (reference !== undefined) {
    const lo = reference - t.miaReferenceTolerance;
    const hi = reference + t.miaReferenceTolerance;
    return {
      id: 'mia',
      name: 'Membership inference as for a model that never saw the forget set',
      measured: `mia.loss.auc after = ${formatValue(auc)}; reference model ${formatValue(reference)}`,
      threshold: `reference ${formatValue(reference)} ± ${formatValue(t.miaReferenceTolerance)} (${formatValue(lo)} … ${formatValue(hi)})`,
      pass: auc === undefined ? null : auc >= lo - 1e-12 && auc <= hi + 1e-12,
      explanation: `${outcome(auc === undefined ? null : auc >= lo - 1e-12 && auc <= hi + 1e-12)}: an attacker using the loss test tells forget documents from unseen ones with an AUC of ${formatAuc(auc)} after unlearning, against ${formatAuc(reference)} on the reference model; the report allows ${formatValue(t.miaReferenceTolerance)} either side of the reference.`,
    };
  }
  const lo = t.miaTargetAuc - t.miaAucTolerance;
  const hi = t.miaTargetAuc + t.miaAucTolerance;
  return {
    id: 'mia',
    name: 'Membership inference no better than chance (heuristic: no reference model)',
    measured: `mia.loss.auc after = ${formatValue(auc)}`,
    threshold: `${formatValue(t.miaTargetAuc)} ± ${formatValue(t.miaAucTolerance)} (${formatValue(lo)} … ${formatValue(hi)})`,
    pass: auc === undefined ? null : auc >= lo - 1e-12 && auc <= hi + 1e-12,
    explanation: `${outcome(auc === undefined ? null : auc >= lo - 1e-12 && auc <= hi + 1e-12)}: an attacker using the loss test tells forget documents from unseen ones with an AUC of ${formatAuc(auc)} after unlearning; with no reference model the report expects a coin toss, ${formatAuc(t.miaTargetAuc)} ± ${formatAuc(t.miaAucTolerance)} (a rule of thumb).`,
  };
}

function retainCriterion(before: EvalReport, after: EvalReport, t: Thresholds): Criterion {
  const b = before.sets.retain?.verbatim.exactRate;
  const a = after.sets.retain?.verbatim.exactRate;
  const known = b !== undefined && b !== null && a !== undefined && a !== null;
  return {
    id: 'retain',
    name: 'Retained knowledge kept',
    measured: `retain.verbatim.exactRate ${formatValue(b)} → ${formatValue(a)}`,
    threshold: known
      ? `≥ ${formatValue(t.retainKeptFraction)} × before = ${formatValue(t.retainKeptFraction * b)}`
      : `≥ ${formatValue(t.retainKeptFraction)} × before (no retain set evaluated)`,
    pass: known ? a >= t.retainKeptFraction * b - 1e-12 : null,
    explanation: known
      ? `${outcome(a >= t.retainKeptFraction * b - 1e-12)}: the model recites ${formatShare(a)} of the retain documents word for word, against ${formatShare(b)} before; at least ${formatShare(t.retainKeptFraction)} of before (${formatShare(t.retainKeptFraction * b)}) is required.`
      : `${outcome(null)}: no retain set was evaluated, so the report cannot tell whether the model kept what it should.`,
  };
}

/** TOFU model utility kept, when before and after both have it (QA pairs with answers). */
function utilityCriterion(before: EvalReport, after: EvalReport, t: Thresholds): Criterion[] {
  const b = before.modelUtility?.value;
  const a = after.modelUtility?.value;
  if (b === undefined || a === undefined) return [];
  return [
    {
      id: 'utility',
      name: 'Model utility kept (TOFU)',
      measured: `modelUtility.value ${formatValue(b)} → ${formatValue(a)}`,
      threshold: `≥ ${formatValue(t.utilityKeptFraction)} × before = ${formatValue(t.utilityKeptFraction * b)}`,
      pass: a >= t.utilityKeptFraction * b - 1e-12,
      explanation: `${outcome(a >= t.utilityKeptFraction * b - 1e-12)}: the model’s usefulness on questions about the retain documents (TOFU model utility) is ${formatAuc(a)} after unlearning against ${formatAuc(b)} before; at least ${formatShare(t.utilityKeptFraction)} of before (${formatAuc(t.utilityKeptFraction * b)}) is required.`,
    },
  ];
}
