/**
 * The cover page's verdict: each criterion against a configurable threshold, with the numbers.
 * Defaults follow issue 6: forgetting as good as a model that never saw the forget set, a
 * membership-inference attack that does as well as on such a model (the reference model's AUC
 * when one was given; else no better than a coin, marked heuristic), and retained utility kept.
 */
import type { EvalReport } from '../../shared/contracts.ts';
import { formatValue } from './format.ts';

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
  /** Retain verbatim exact rate after must be at least this fraction of before. */
  readonly retainKeptFraction: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  forgetExactMargin: 0.05,
  miaTargetAuc: 0.5,
  miaAucTolerance: 0.05,
  miaReferenceTolerance: 0.1,
  retainKeptFraction: 0.95,
};

export interface Criterion {
  readonly name: string;
  /** What was measured, in words and numbers. */
  readonly measured: string;
  readonly threshold: string;
  /** Null when the metrics lack what the criterion needs (it then counts as not passed). */
  readonly pass: boolean | null;
}

export interface Verdict {
  readonly pass: boolean;
  readonly criteria: readonly Criterion[];
}

export function judge(before: EvalReport, after: EvalReport, t: Thresholds): Verdict {
  const criteria = [
    forgetCriterion(after, t),
    miaCriterion(after, t),
    retainCriterion(before, after, t),
  ];
  return { pass: criteria.every((c) => c.pass === true), criteria };
}

function forgetCriterion(after: EvalReport, t: Thresholds): Criterion {
  const exact = after.sets.forget.verbatim.exactRate;
  const reference = t.referenceForgetExact ?? 0;
  const bound = reference + t.forgetExactMargin;
  return {
    name: 'Forget set not reproduced verbatim',
    measured: `forget.verbatim.exactRate after = ${formatValue(exact)}`,
    threshold:
      t.referenceForgetExact === undefined
        ? `≤ ${formatValue(bound)}`
        : `≤ reference ${formatValue(reference)} + ${formatValue(t.forgetExactMargin)} = ${formatValue(bound)}`,
    pass: exact === null ? null : exact <= bound + 1e-12,
  };
}

function miaCriterion(after: EvalReport, t: Thresholds): Criterion {
  const loss = after.mia?.loss;
  const auc = loss?.auc;
  const reference = loss?.referenceAuc;
  if (reference !== undefined) {
    const lo = reference - t.miaReferenceTolerance;
    const hi = reference + t.miaReferenceTolerance;
    return {
      name: 'Membership inference as for a model that never saw the forget set',
      measured: `mia.loss.auc after = ${formatValue(auc)}; reference model ${formatValue(reference)}`,
      threshold: `reference ${formatValue(reference)} ± ${formatValue(t.miaReferenceTolerance)} (${formatValue(lo)} … ${formatValue(hi)})`,
      pass: auc === undefined ? null : auc >= lo - 1e-12 && auc <= hi + 1e-12,
    };
  }
  const lo = t.miaTargetAuc - t.miaAucTolerance;
  const hi = t.miaTargetAuc + t.miaAucTolerance;
  return {
    name: 'Membership inference no better than chance (heuristic: no reference model)',
    measured: `mia.loss.auc after = ${formatValue(auc)}`,
    threshold: `${formatValue(t.miaTargetAuc)} ± ${formatValue(t.miaAucTolerance)} (${formatValue(lo)} … ${formatValue(hi)})`,
    pass: auc === undefined ? null : auc >= lo - 1e-12 && auc <= hi + 1e-12,
  };
}

function retainCriterion(before: EvalReport, after: EvalReport, t: Thresholds): Criterion {
  const b = before.sets.retain?.verbatim.exactRate;
  const a = after.sets.retain?.verbatim.exactRate;
  const known = b !== undefined && b !== null && a !== undefined && a !== null;
  return {
    name: 'Retained knowledge kept',
    measured: `retain.verbatim.exactRate ${formatValue(b)} → ${formatValue(a)}`,
    threshold: known
      ? `≥ ${formatValue(t.retainKeptFraction)} × before = ${formatValue(t.retainKeptFraction * b)}`
      : `≥ ${formatValue(t.retainKeptFraction)} × before (no retain set evaluated)`,
    pass: known ? a >= t.retainKeptFraction * b - 1e-12 : null,
  };
}
