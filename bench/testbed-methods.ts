/**
 * Every unlearning method on a testbed (resources/testbed by default, issue 5 "Must show"; or
 * resources/testbed-b, the untuned one): unlearn a forget split with retain =
 * corpus/retain.jsonl, evaluate before and after (forget, retain, holdout, reference =
 * <testbed>/reference), one row per method.
 *
 *   node --import tsx bench/testbed-methods.ts [--testbed resources/testbed] [--methods ga,...]
 *     [--forget forget10] [--presets <testbed>/presets | none] [--override '{"lr":1e-3}']
 *     [--seed 0] [--quick] [--out bench/results/testbed-methods.json]
 *
 * A method's config is <presets>/<method>.json when it exists, with --override's keys on top.
 * A method without one (`--presets none`, a testbed without presets/, or no file for it) runs
 * as `nepenthe audit` runs it without --config: the holdout is split by `--seed` (the audit's
 * splitHoldout), its calibration half steers calibrated mode towards the reference's own Min-K%
 * AUC, and every evaluation of the run (before, after, reference) sees only the other half.
 * `sau` runs on a 50%-magnitude-pruned copy of the testbed model, whose own "before" is
 * measured too. `--quick` evaluates forget and retain only (no holdout, no reference: no MIA,
 * privLeak or forgetQuality, no calibrated mode), for searches. Paths go through the same task
 * functions as the CLI (bench/testbed-tasks.ts), on the wasm backend.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readDocuments } from '../src/worker/data/documents.ts';
import { splitHoldout, type HoldoutSplit } from '../src/worker/data/holdout-split.ts';
import { selectBackend } from '../src/worker/engine/backend.ts';
import {
  measureModel,
  presetConfig,
  presetFile,
  pruneModel,
  unlearnModel,
  type Metrics,
} from './testbed-tasks.ts';

const ALL = ['ga', 'graddiff', 'kl', 'npo', 'simnpo', 'undial', 'sga', 'sau', 'bounded'];

const { values } = parseArgs({
  options: {
    methods: { type: 'string', default: ALL.join(',') },
    forget: { type: 'string', default: 'forget10' },
    testbed: { type: 'string', default: 'resources/testbed' },
    presets: { type: 'string' },
    override: { type: 'string' },
    seed: { type: 'string', default: '0' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/results/testbed-methods.json' },
  },
});

const bed = values.testbed;
const corpus = (name: string) => join(bed, 'corpus', `${name}.jsonl`);
const forgetFile = corpus(values.forget);
const retainFile = corpus('retain');
const override = values.override === undefined ? {} : (JSON.parse(values.override) as object);
const seed = Number(values.seed);
if (!Number.isInteger(seed)) throw new Error(`--seed ${values.seed}: not an integer`);
/** The presets folder, or null: `--presets none` or a testbed that ships none. */
const presetsDir = ((): string | null => {
  const dir = values.presets ?? join(bed, 'presets');
  if (values.presets === 'none') return null;
  if (!existsSync(dir)) {
    if (values.presets !== undefined) throw new Error(`--presets ${dir}: no such folder`);
    return null;
  }
  return dir;
})();
const reference = join(bed, 'reference');

interface Row {
  method: string;
  model: string;
  /** The preset file, or null: the method's defaults (calibrated mode when there is a holdout). */
  preset: string | null;
  config: Record<string, unknown> | null;
  /** Calibrated mode's target (the reference's Min-K% AUC on the calibration half), or null. */
  targetAuc: number | null;
  unlearnSeconds: number | null;
  steps: number | null;
  finalLoss: number | null;
  before: Metrics;
  after: Metrics | null;
  forgetRatio: number | null;
  retainRatio: number | null;
  met: boolean | null;
  /** sga: the distinct per-step `extra.rate` values of training.json (one under rate "auto"). */
  rates?: number[];
  error?: string;
}

/** The holdout's calibration/evaluation halves when some method runs calibrated, else null. */
let holdoutSplit: HoldoutSplit | null = null;

/** Forget and retain, and unless --quick the holdout (its evaluation half) and the reference. */
const evaluate = (model: string): Promise<Metrics> =>
  measureModel(
    {
      model,
      forget: forgetFile,
      retain: retainFile,
      ...(values.quick ? {} : { holdout: corpus('holdout'), reference }),
    },
    holdoutSplit?.evaluation,
  );

const ratio = (after: number | null, before: number | null) =>
  after === null || before === null || before === 0 ? null : after / before;

async function main(): Promise<void> {
  const backend = await selectBackend('wasm');
  const methods = values.methods.split(',').filter((m) => m !== '');
  const scratch = mkdtempSync(join(tmpdir(), 'nepenthe-testbed-methods-'));
  const model = join(bed, 'model');
  const rows: Row[] = [];
  const befores = new Map<string, Metrics>();
  const before = async (dir: string) => {
    if (!befores.has(dir)) befores.set(dir, await evaluate(dir));
    return befores.get(dir)!;
  };
  try {
    const calibrated = !values.quick && methods.some((m) => presetFile(presetsDir, m) === null);
    if (calibrated) {
      holdoutSplit = splitHoldout(await readDocuments(corpus('holdout')), seed);
      console.error(
        `holdout split by seed ${seed}: ${holdoutSplit.calibration.length} calibration, ${holdoutSplit.evaluation.length} evaluation documents (presets: ${presetsDir ?? 'none'})`,
      );
    }
    let referenceMetrics: Metrics | null = null;
    if (!values.quick) {
      referenceMetrics = await evaluate(reference);
      console.error(`reference: ${JSON.stringify(referenceMetrics)}`);
    }
    let pruned: string | undefined;
    let pruneSeconds: number | null = null;
    for (const method of methods) {
      let source = model;
      if (method === 'sau') {
        if (pruned === undefined) {
          pruned = join(scratch, 'pruned');
          const report = await pruneModel(model, 'magnitude', 0.5, pruned);
          pruneSeconds = report.seconds;
          console.error(`pruned: sparsity ${report.sparsity.toFixed(3)} in ${report.seconds}s`);
        }
        source = pruned;
      }
      const preset = presetFile(presetsDir, method);
      // No keys at all: as an audit without --config (calibrated mode decides).
      const config = presetConfig(presetsDir, method, override);
      const b = await before(source);
      const out = join(scratch, `out-${method}`);
      const row: Row = {
        method,
        model: source === model ? 'testbed' : 'testbed, magnitude 50%',
        preset,
        config: null,
        targetAuc: null,
        unlearnSeconds: null,
        steps: null,
        finalLoss: null,
        before: b,
        after: null,
        forgetRatio: null,
        retainRatio: null,
        met: null,
      };
      try {
        // As an audit with a reference: calibrated mode aims at the reference's Min-K% AUC.
        const report = await unlearnModel(
          {
            model: source,
            forget: forgetFile,
            retain: retainFile,
            method,
            config,
            out,
            seed,
            ...(holdoutSplit === null ? {} : { calibration: holdoutSplit.calibration }),
            ...(values.quick ? {} : { reference }),
          },
          backend.name,
          (line) => console.error(line),
        );
        row.config = config;
        row.targetAuc = report.targetAuc;
        row.unlearnSeconds = report.seconds;
        row.steps = report.steps;
        row.finalLoss = report.finalLoss;
        if (method === 'sga') row.rates = stepRates(join(out, 'training.json'));
        row.after = await evaluate(out);
        row.forgetRatio = ratio(row.after.forgetExact, b.forgetExact);
        row.retainRatio = ratio(row.after.retainExact, b.retainExact);
        row.met =
          row.forgetRatio !== null &&
          row.retainRatio !== null &&
          row.forgetRatio <= 0.25 &&
          row.retainRatio >= 0.7;
      } catch (error) {
        row.error = error instanceof Error ? error.message : String(error);
      } finally {
        rmSync(out, { recursive: true, force: true });
      }
      console.error(`${method}: ${JSON.stringify(row)}`);
      rows.push(row);
    }
    const document = {
      command:
        `node --import tsx bench/testbed-methods.ts ${process.argv.slice(2).join(' ')}`.trim(),
      backend: backend.name,
      testbed: bed,
      presets: presetsDir,
      seed,
      holdout:
        holdoutSplit === null
          ? 'all'
          : {
              calibration: holdoutSplit.calibration.length,
              evaluation: holdoutSplit.evaluation.length,
            },
      forget: values.forget,
      quick: values.quick,
      override,
      loadAverage: loadavg(),
      pruneSeconds,
      reference: referenceMetrics,
      rows,
    };
    if (!values.quick || values.out !== 'bench/results/testbed-methods.json') {
      mkdirSync(join(values.out, '..'), { recursive: true });
      writeFileSync(values.out, `${JSON.stringify(document, null, 1)}\n`);
    }
    console.log(table(rows, referenceMetrics));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

function stepRates(trainingJson: string): number[] {
  const log = JSON.parse(readFileSync(trainingJson, 'utf8')) as {
    steps: { extra: Record<string, number> }[];
  };
  return [...new Set(log.steps.map((s) => s.extra.rate!))];
}

function fmt(value: number | null | undefined, digits = 2): string {
  return value === null || value === undefined ? '–' : value.toFixed(digits);
}

function table(rows: readonly Row[], reference: Metrics | null): string {
  const head =
    '| method | model | forget exact | forget ROUGE-L | retain exact | holdout exact | MIA loss AUC | MIA minK AUC | privLeak | forgetQuality | retain NLL | unlearn s | eval s | target met |';
  const lines = [head, `|${' --- |'.repeat(14)}`];
  const cells = (m: Metrics) => [
    fmt(m.forgetExact),
    fmt(m.forgetRougeL),
    fmt(m.retainExact),
    fmt(m.holdoutExact),
    fmt(m.miaLossAuc),
    fmt(m.miaMinKAuc),
    fmt(m.privLeak, 1),
    m.forgetQuality === null ? '–' : m.forgetQuality.toPrecision(2),
    fmt(m.retainNll, 3),
  ];
  if (reference !== null)
    lines.push(
      `| reference (ideal) | reference | ${cells(reference).join(' | ')} | – | ${fmt(reference.evalSeconds, 1)} | |`,
    );
  const shown = new Set<string>();
  for (const row of rows) {
    if (!shown.has(row.model)) {
      shown.add(row.model);
      lines.push(
        `| before | ${row.model} | ${cells(row.before).join(' | ')} | – | ${fmt(row.before.evalSeconds, 1)} | |`,
      );
    }
  }
  for (const row of rows) {
    if (row.after === null) {
      lines.push(`| ${row.method} | ${row.model} | failed: ${row.error ?? '?'} |`);
      continue;
    }
    lines.push(
      `| ${row.method} | ${row.model} | ${cells(row.after).join(' | ')} | ${fmt(row.unlearnSeconds, 1)} | ${fmt(row.after.evalSeconds, 1)} | ${row.met ? 'yes' : 'no'} (${fmt(row.forgetRatio)} / ${fmt(row.retainRatio)}) |`,
    );
  }
  return lines.join('\n');
}

await main();
