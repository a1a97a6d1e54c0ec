/**
 * Every number of the metrics documents as one row: its dotted path (`forget.verbatim.exactRate`,
 * `mia.loss.auc`), the value before and after. The path is the metric's name in the report and
 * the glossary key; `sets.` is dropped since every set lives there.
 */
import type { EvalReport } from '../../shared/contracts.ts';

export interface MetricRow {
  readonly name: string;
  readonly before: number | null | undefined;
  readonly after: number | null | undefined;
}

/**
 * Paths that are bookkeeping, not measurements (the model hash is on the identity table), and
 * per-document values keyed by document id (`risk`: the risk page lists them).
 */
const NOT_METRICS = new Set(['model', 'skipped', 'risk', 'forgetQualityDefinition']);

/**
 * The row name of `forgetQuality`: plain for TOFU's truth-ratio test, marked when the document
 * says it is the mean-NLL fallback (docs/metrics.md "Forget Quality").
 */
export const FORGET_QUALITY_FALLBACK_ROW = 'forgetQuality(fallback:meanNLL)';

function forgetQualityRow(report: EvalReport): string {
  return report.forgetQualityDefinition === 'mean-nll-fallback'
    ? FORGET_QUALITY_FALLBACK_ROW
    : 'forgetQuality';
}

export function metricRows(before: EvalReport, after: EvalReport): MetricRow[] {
  const b = flatten(before);
  const a = flatten(after);
  const names = [...b.keys()];
  for (const name of a.keys()) if (!b.has(name)) names.push(name);
  return names.map((name) => ({ name, before: b.get(name), after: a.get(name) }));
}

/** Numeric (or null) leaves in document order. */
export function flatten(report: EvalReport): Map<string, number | null> {
  const out = new Map<string, number | null>();
  const walk = (value: unknown, path: string[]) => {
    if (typeof value === 'number' || value === null) {
      out.set(path.join('.'), value);
    } else if (value !== undefined && typeof value === 'object' && !Array.isArray(value)) {
      for (const [key, child] of Object.entries(value)) walk(child, [...path, key]);
    }
    // Arrays (per-item scores, when a metrics document carries them) are charted, not tabled.
  };
  for (const [key, value] of Object.entries(report)) {
    if (NOT_METRICS.has(key)) continue;
    walk(value, key === 'sets' ? [] : [key === 'forgetQuality' ? forgetQualityRow(report) : key]);
  }
  return out;
}
