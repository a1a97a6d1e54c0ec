/**
 * The pipelines of SAU's motivating case (seed 000, ALGORITHMS.md "SAU"): the paper's Figure 1
 * says a dense model that forgot answers the forgotten questions again once it is sparsified.
 * One Row per evaluated model folder:
 *   reference         the reference model (never saw the forget set), when there is one
 *   before            the original; `pruned`: the original pruned by each pruner
 *   dense             A: a dense method on the original
 *   dense-then-pruned A: that unlearned model pruned by each pruner (the claim under test)
 *   sau-on-pruned     B: SAU on the pruned original (the paper's remedy)
 *   dense-on-pruned   C: a dense method on the pruned original; the trainer keeps no mask, so
 *                        the zeros move and the row's sparsity shows how far
 * Every step goes through the CLI's task functions (bench/testbed-tasks.ts); folders stay in
 * `scratch` (the caller removes it) so that a test can read what was evaluated.
 */
import { join } from 'node:path';
import type { Document } from '../src/worker/data/documents.ts';
import {
  measureModel,
  presetConfig,
  pruneModel,
  unlearnModel,
  type Metrics,
} from './testbed-tasks.ts';

/** A named unlearning run: the method and its config object. */
export interface Variant {
  readonly name: string;
  readonly method: string;
  readonly config: Record<string, unknown>;
}

const CALIBRATED = '-calibrated';

/**
 * `graddiff`: the method with its preset (presets/<method>.json, else its defaults);
 * `sau+<base>`: SAU on the base loss <base>, with the base's preset (SAU's own preset is tuned
 * for its default base, graddiff); `<name>-calibrated`: the same with lr and epochs removed, so
 * that calibrated mode sets them and the stop.
 */
export function variantNamed(name: string, presets: string): Variant {
  const calibrated = name.endsWith(CALIBRATED);
  const [method, baseMethod] = (calibrated ? name.slice(0, -CALIBRATED.length) : name).split('+');
  if (method === undefined || method === '') throw new Error(`no method in variant "${name}"`);
  const config = presetConfig(presets, baseMethod ?? method);
  if (calibrated) {
    delete config.lr;
    delete config.epochs;
  }
  if (baseMethod !== undefined) config.baseMethod = baseMethod;
  return { name, method, config };
}

export interface Setting {
  readonly scratch: string;
  readonly backend: string;
  readonly model: string;
  readonly forget: string;
  readonly retain: string;
  readonly holdout?: string;
  /** Replaces the holdout file's documents in every evaluation (an audit's evaluation half). */
  readonly holdoutEvaluation?: readonly Document[];
  /** What the runs may steer by (calibrated mode, targetnll's τ); never evaluated. */
  readonly calibration?: readonly Document[];
  readonly reference?: string;
  readonly pruners: readonly string[];
  readonly sparsity: number;
  /** Wanda's calibration text (`--calib`). */
  readonly pruneCalibration: string;
  readonly dense: readonly Variant[];
  readonly sau: readonly Variant[];
  readonly log?: (line: string) => void;
}

export type Stage =
  | 'reference'
  | 'before'
  | 'pruned'
  | 'dense'
  | 'dense-then-pruned'
  | 'sau-on-pruned'
  | 'dense-on-pruned';

export interface Row {
  readonly stage: Stage;
  readonly variant: string | null;
  readonly pruner: string | null;
  /** The runs' seed; null for the rows no run made. */
  readonly seed: number | null;
  /** The folder evaluated. */
  readonly model: string;
  readonly metrics: Metrics;
  /** Seconds of the step that made the folder (unlearning or pruning); null for the original. */
  readonly seconds: number | null;
  readonly steps?: number;
  readonly stoppedEarly?: string;
  readonly config?: Record<string, unknown>;
  /** sha256 of the weights the pruning wrote (to check that the evaluation read them). */
  readonly prunedSha256?: string;
}

function measure(setting: Setting, model: string): Promise<Metrics> {
  const { forget, retain, holdout, reference } = setting;
  return measureModel(
    {
      model,
      forget,
      retain,
      ...(holdout === undefined ? {} : { holdout }),
      ...(reference === undefined ? {} : { reference }),
    },
    setting.holdoutEvaluation,
  );
}

async function prune(setting: Setting, model: string, pruner: string, out: string) {
  const calib = pruner === 'magnitude' ? undefined : setting.pruneCalibration;
  return pruneModel(model, pruner, setting.sparsity, out, calib);
}

/**
 * The reference, the original and its pruned copies (no run, no seed): the rows and the pruned
 * folders.
 */
export async function originalRows(
  setting: Setting,
): Promise<{ rows: Row[]; pruned: Map<string, string> }> {
  const rows: Row[] = [];
  const pruned = new Map<string, string>();
  const base = { variant: null, seed: null };
  if (setting.reference !== undefined)
    rows.push({
      ...base,
      stage: 'reference',
      pruner: null,
      model: setting.reference,
      metrics: await measure(setting, setting.reference),
      seconds: null,
    });
  rows.push({
    ...base,
    stage: 'before',
    pruner: null,
    model: setting.model,
    metrics: await measure(setting, setting.model),
    seconds: null,
  });
  for (const pruner of setting.pruners) {
    const out = join(setting.scratch, `pruned-${pruner}`);
    const report = await prune(setting, setting.model, pruner, out);
    pruned.set(pruner, out);
    rows.push({
      ...base,
      stage: 'pruned',
      pruner,
      model: out,
      metrics: await measure(setting, out),
      seconds: report.seconds,
      prunedSha256: report.sha256,
    });
  }
  for (const row of rows) setting.log?.(JSON.stringify(row));
  return { rows, pruned };
}

/** A, B and C for one seed of the runs, on the pruned folders of `originalRows`. */
export async function seedRows(
  setting: Setting,
  pruned: ReadonlyMap<string, string>,
  seed: number,
): Promise<Row[]> {
  const rows: Row[] = [];
  const add = (row: Row) => {
    rows.push(row);
    setting.log?.(JSON.stringify(row));
  };
  const unlearn = async (variant: Variant, model: string, out: string) => {
    const report = await unlearnModel(
      {
        model,
        forget: setting.forget,
        retain: setting.retain,
        method: variant.method,
        config: variant.config,
        out,
        seed,
        ...(setting.calibration === undefined ? {} : { calibration: setting.calibration }),
        ...(setting.reference === undefined ? {} : { reference: setting.reference }),
      },
      setting.backend,
    );
    return {
      variant: variant.name,
      seed,
      model: out,
      metrics: await measure(setting, out),
      seconds: report.seconds,
      steps: report.steps,
      config: variant.config,
      ...(report.stoppedEarly === undefined ? {} : { stoppedEarly: report.stoppedEarly.reason }),
    };
  };
  const folder = (...parts: string[]) => join(setting.scratch, [`seed${seed}`, ...parts].join('-'));
  for (const variant of setting.dense) {
    // A: dense unlearning, then the unlearned model pruned.
    const dense = await unlearn(variant, setting.model, folder(variant.name));
    add({ ...dense, stage: 'dense', pruner: null });
    for (const pruner of setting.pruners) {
      const out = folder(variant.name, 'pruned', pruner);
      const report = await prune(setting, dense.model, pruner, out);
      add({
        stage: 'dense-then-pruned',
        variant: variant.name,
        pruner,
        seed,
        model: out,
        metrics: await measure(setting, out),
        seconds: report.seconds,
        prunedSha256: report.sha256,
      });
    }
    // C: the same dense method on the pruned original.
    for (const pruner of setting.pruners) {
      const row = await unlearn(variant, pruned.get(pruner)!, folder('on', pruner, variant.name));
      add({ ...row, stage: 'dense-on-pruned', pruner });
    }
  }
  // B: SAU on the pruned original.
  for (const variant of setting.sau)
    for (const pruner of setting.pruners) {
      const row = await unlearn(variant, pruned.get(pruner)!, folder('on', pruner, variant.name));
      add({ ...row, stage: 'sau-on-pruned', pruner });
    }
  return rows;
}

/** The table's label of a row (without its seed). */
export function rowLabel(row: Pick<Row, 'stage' | 'variant' | 'pruner'>): string {
  const p = row.pruner ?? '';
  switch (row.stage) {
    case 'reference':
      return 'reference (never saw the forget set)';
    case 'before':
      return 'before (original)';
    case 'pruned':
      return `pruned ${p}, before unlearning`;
    case 'dense':
      return `${row.variant} (dense)`;
    case 'dense-then-pruned':
      return `${row.variant} → pruned ${p}`;
    case 'sau-on-pruned':
      return `pruned ${p} → ${row.variant}`;
    case 'dense-on-pruned':
      return `pruned ${p} → ${row.variant} (dense, mask not kept)`;
  }
}

const COLUMNS: readonly [string, (r: Row) => number | null, number][] = [
  ['forget exact', (r) => r.metrics.forgetExact, 2],
  ['forget ROUGE-L', (r) => r.metrics.forgetRougeL, 2],
  ['retain exact', (r) => r.metrics.retainExact, 2],
  ['holdout exact', (r) => r.metrics.holdoutExact, 2],
  ['MIA loss AUC', (r) => r.metrics.miaLossAuc, 2],
  ['MIA minK AUC', (r) => r.metrics.miaMinKAuc, 2],
  ['privLeak', (r) => r.metrics.privLeak, 1],
  ['retain NLL', (r) => r.metrics.retainNll, 3],
  ['forget NLL', (r) => r.metrics.forgetNll, 3],
  ['holdout NLL', (r) => r.metrics.holdoutNll, 3],
  ['sparsity', (r) => r.metrics.sparsity, 3],
  ['step s', (r) => r.seconds, 1],
];

/** Mean over the values, with ± half their range when they differ. */
function cell(values: readonly (number | null)[], digits: number): string {
  const xs = values.filter((v): v is number => v !== null);
  if (xs.length === 0) return '–';
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const half = (Math.max(...xs) - Math.min(...xs)) / 2;
  const shown = half.toFixed(digits);
  return Number(shown) === 0 ? mean.toFixed(digits) : `${mean.toFixed(digits)} ± ${shown}`;
}

/** A markdown table with one line per label, its numbers over the seeds (mean ± half-range). */
export function markdownTable(rows: readonly Row[]): string {
  const groups = new Map<string, Row[]>();
  for (const row of rows) {
    const label = rowLabel(row);
    groups.set(label, [...(groups.get(label) ?? []), row]);
  }
  const lines = [
    `| row | ${COLUMNS.map(([name]) => name).join(' | ')} | seeds |`,
    `|---|${COLUMNS.map(() => '---:|').join('')}---|`,
  ];
  for (const [label, group] of groups) {
    const seeds = group.map((r) => r.seed).filter((s) => s !== null);
    lines.push(
      `| ${label} | ${COLUMNS.map(([, pick, d]) => cell(group.map(pick), d)).join(' | ')} | ${seeds.length === 0 ? '–' : seeds.join(',')} |`,
    );
  }
  return lines.join('\n');
}
