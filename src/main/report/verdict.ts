/**
 * The cover page's verdict: each criterion against a configurable threshold, with the numbers.
 * Defaults follow issue 6: forgetting as good as a model that never saw the forget set, a
 * membership-inference attack no better than a coin, and retained utility kept.
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
  /** The attack's AUC a model that never saw the forget set gets: 0.5 unless given. */
  readonly miaTargetAuc: number;
  /** Allowed distance of the forget-vs-holdout loss-attack AUC from `miaTargetAuc`. */
  readonly miaAucTolerance: number;
  /** Retain verbatim exact rate after must be at least this fraction of before. */
  readonly retainKeptFraction: number;
}

export const DEFAULT_THRESHOLDS: Thresholds = {
  forgetExactMargin: 0.05,
  miaTargetAuc: 0.5,
  miaAucTolerance: 0.05,
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
  const auc = after.mia?.loss?.auc;
  const lo = t.miaTargetAuc - t.miaAucTolerance;
  const hi = t.miaTargetAuc + t.miaAucTolerance;
  return {
    name: 'Membership inference no better than chance',
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
