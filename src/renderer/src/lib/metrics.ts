/**
 * The before/after metrics a privacy officer reads, each with what it means (the shared
 * glossary, the report's text too) and which way is better. Values are read defensively: the
 * metrics document allows extra and missing keys.
 */
import type { EvalReport } from '../../../shared/contracts.ts';
import { describeMetric } from '../../../shared/glossary.ts';

export type Direction = 'down' | 'up' | 'stay' | 'toward-half' | 'toward-zero';

export interface MetricDef {
  id: string;
  label: string;
  /** The shared glossary's text (`describeMetric`). */
  meaning: string;
  direction: Direction;
  /** A fraction in [0, 1]: drawn in the before/after bar chart. */
  fraction: boolean;
  read: (report: EvalReport) => number | null;
  /** The label for this document, when it depends on how the number was computed. */
  labelFor?: (report: EvalReport) => string;
  /** The meaning for this document, when it depends on how the number was computed. */
  meaningFor?: (report: EvalReport) => string;
}

const num = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) ? value : null;

// The loose schema types every nested level; `any`-free access through unknown records.
const at = (value: unknown, ...keys: string[]): unknown =>
  keys.reduce<unknown>(
    (v, k) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[k] : undefined),
    value,
  );

export const MIA_ATTACKS = ['loss', 'zlib', 'minK', 'minKpp', 'reference'] as const;
const ATTACK_NAMES: Record<string, string> = {
  loss: 'loss',
  zlib: 'zlib ratio',
  minK: 'Min-K%',
  minKpp: 'Min-K%++',
  reference: 'reference model',
};
export const attackName = (id: string): string => ATTACK_NAMES[id] ?? id;

export const METRICS: MetricDef[] = [
  {
    id: 'forget.exactRate',
    label: 'Forget: verbatim exact rate',
    meaning: describeMetric('verbatim.exactRate'),
    direction: 'down',
    fraction: true,
    read: (r) => num(at(r, 'sets', 'forget', 'verbatim', 'exactRate')),
  },
  {
    id: 'forget.rougeL',
    label: 'Forget: verbatim ROUGE-L',
    meaning: describeMetric('verbatim.rougeL'),
    direction: 'down',
    fraction: true,
    read: (r) => num(at(r, 'sets', 'forget', 'verbatim', 'rougeL')),
  },
  {
    id: 'forget.extraction',
    label: 'Forget: extraction strength',
    meaning: describeMetric('extractionStrength'),
    direction: 'down',
    fraction: true,
    read: (r) => num(at(r, 'sets', 'forget', 'extractionStrength')),
  },
  {
    id: 'forget.pii',
    label: 'Forget: PII leak rate',
    meaning: describeMetric('pii.leakRate'),
    direction: 'down',
    fraction: true,
    read: (r) => num(at(r, 'sets', 'forget', 'pii', 'leakRate')),
  },
  {
    id: 'forget.nll',
    label: 'Forget: mean loss (NLL)',
    meaning: describeMetric('meanNll'),
    direction: 'up',
    fraction: false,
    read: (r) => num(at(r, 'sets', 'forget', 'meanNll')),
  },
  {
    id: 'retain.nll',
    label: 'Retain: mean loss (NLL)',
    meaning: describeMetric('meanNll'),
    direction: 'stay',
    fraction: false,
    read: (r) => num(at(r, 'sets', 'retain', 'meanNll')),
  },
  {
    id: 'retain.rougeL',
    label: 'Retain: verbatim ROUGE-L',
    meaning: describeMetric('verbatim.rougeL'),
    direction: 'stay',
    fraction: true,
    read: (r) => num(at(r, 'sets', 'retain', 'verbatim', 'rougeL')),
  },
  {
    id: 'knowledge.forget',
    label: 'Knowledge: forget answers (ROUGE-L)',
    meaning: describeMetric('knowledge.rougeL'),
    direction: 'down',
    fraction: true,
    read: (r) => num(at(r, 'knowledge', 'forget', 'rougeL')),
  },
  {
    id: 'knowledge.retain',
    label: 'Knowledge: retain answers (ROUGE-L)',
    meaning: describeMetric('knowledge.rougeL'),
    direction: 'stay',
    fraction: true,
    read: (r) => num(at(r, 'knowledge', 'retain', 'rougeL')),
  },
  ...MIA_ATTACKS.map((attack): MetricDef => ({
    id: `mia.${attack}`,
    label: `Membership inference AUC (${attackName(attack)})`,
    meaning: describeMetric('mia.*.auc'),
    direction: 'toward-half',
    fraction: true,
    read: (r) => num(at(r, 'mia', attack, 'auc')),
  })),
  {
    id: 'privLeak',
    label: 'PrivLeak',
    meaning: describeMetric('privLeak'),
    direction: 'toward-zero',
    fraction: false,
    read: (r) => num(r.privLeak),
  },
  {
    id: 'forgetQuality',
    label: 'Forget quality',
    meaning: describeMetric('forgetQuality'),
    direction: 'up',
    fraction: false,
    read: (r) => num(r.forgetQuality),
    labelFor: (r) =>
      r.forgetQualityDefinition === 'mean-nll-fallback'
        ? 'Forget quality (fallback: mean-NLL test)'
        : 'Forget quality',
    meaningFor: (r) =>
      r.forgetQualityDefinition === 'mean-nll-fallback'
        ? describeMetric('forgetQuality(fallback:meanNLL)')
        : describeMetric('forgetQuality'),
  },
];

export type Change = 'better' | 'worse' | 'kept' | 'unchanged';

/** Whether the change from before to after is what unlearning should do. */
export function judge(direction: Direction, before: number, after: number): Change {
  const delta = after - before;
  if (Math.abs(delta) < 1e-9) return 'unchanged';
  switch (direction) {
    case 'down':
      return delta < 0 ? 'better' : 'worse';
    case 'up':
      return delta > 0 ? 'better' : 'worse';
    case 'toward-half':
      return Math.abs(after - 0.5) < Math.abs(before - 0.5) ? 'better' : 'worse';
    case 'toward-zero':
      return Math.abs(after) < Math.abs(before) ? 'better' : 'worse';
    case 'stay':
      // Within 10 % (or 0.05) counts as kept: utility survived.
      return Math.abs(delta) <= Math.max(0.05, 0.1 * Math.abs(before)) ? 'kept' : 'worse';
  }
}

export const DIRECTION_TEXT: Record<Direction, string> = {
  down: 'should go down',
  up: 'should go up',
  stay: 'should stay the same',
  'toward-half': 'should move toward 0.5',
  'toward-zero': 'should move toward 0',
};

/** An attack's per-document scores (forget = members, holdout = non-members), if recorded. */
export function attackScores(
  report: EvalReport | null,
  attack: string,
): { forget: number[]; holdout: number[] } | null {
  const scores = at(report, 'mia', attack, 'scores');
  const forget = at(scores, 'forget');
  const holdout = at(scores, 'holdout');
  const numbers = (v: unknown) =>
    Array.isArray(v)
      ? v.filter((x): x is number => typeof x === 'number' && Number.isFinite(x))
      : [];
  const f = numbers(forget);
  const h = numbers(holdout);
  return f.length > 0 && h.length > 0 ? { forget: f, holdout: h } : null;
}

/** ROC points (FPR, TPR) with forget as the positive class: the shared implementation. */
export { roc } from '../../../shared/roc.ts';

/** Shared bins for two score lists. */
export function histogram(
  a: number[],
  b: number[],
  bins = 16,
): { labels: string[]; a: number[]; b: number[] } {
  const all = [...a, ...b];
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const width = hi > lo ? (hi - lo) / bins : 1;
  const count = (values: number[]) => {
    const out = new Array<number>(bins).fill(0);
    for (const v of values) out[Math.min(bins - 1, Math.floor((v - lo) / width))]! += 1;
    return out;
  };
  const labels = Array.from({ length: bins }, (_, i) => (lo + (i + 0.5) * width).toPrecision(3));
  return { labels, a: count(a), b: count(b) };
}
