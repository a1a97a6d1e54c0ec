/**
 * Every unlearning method on the shipped testbed (resources/testbed, issue 5 "Must show"):
 * unlearn a forget split with retain = corpus/retain.jsonl, evaluate before and after (forget,
 * retain, holdout, reference = resources/testbed/reference), one row per method.
 *
 *   node --import tsx bench/testbed-methods.ts [--methods ga,graddiff,...] [--forget forget10]
 *     [--presets resources/testbed/presets] [--override '{"lr":1e-3}'] [--quick]
 *     [--out bench/results/testbed-methods.json]
 *
 * A method's config is resources/testbed/presets/<method>.json when it exists (the method's
 * defaults otherwise), with --override's keys on top. `sau` runs on a 50%-magnitude-pruned copy
 * of the testbed model, whose own "before" is measured too. `--quick` evaluates forget and
 * retain only (no holdout, no reference: no MIA, privLeak or forgetQuality), for searches.
 * Paths go through the same task functions as the CLI (bench/testbed-tasks.ts), on the wasm
 * backend.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from '../src/worker/engine/backend.ts';
import {
  measureModel,
  presetConfig,
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
    presets: { type: 'string', default: 'resources/testbed/presets' },
    override: { type: 'string' },
    quick: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/results/testbed-methods.json' },
  },
});

const bed = values.testbed;
const corpus = (name: string) => join(bed, 'corpus', `${name}.jsonl`);
const forgetFile = corpus(values.forget);
const retainFile = corpus('retain');
const override = values.override === undefined ? {} : (JSON.parse(values.override) as object);

interface Row {
  method: string;
  model: string;
  config: Record<string, unknown> | null;
  unlearnSeconds: number | null;
  steps: number | null;
  finalLoss: number | null;
  before: Metrics;
  after: Metrics | null;
  forgetRatio: number | null;
  retainRatio: number | null;
  met: boolean | null;
  error?: string;
}

const evaluate = (model: string): Promise<Metrics> =>
  measureModel({
    model,
    forget: forgetFile,
    retain: retainFile,
    ...(values.quick ? {} : { holdout: corpus('holdout'), reference: join(bed, 'reference') }),
  });

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
    let reference: Metrics | null = null;
    if (!values.quick) {
      reference = await evaluate(join(bed, 'reference'));
      console.error(`reference: ${JSON.stringify(reference)}`);
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
      const config = presetConfig(values.presets, method, override);
      const b = await before(source);
      const out = join(scratch, `out-${method}`);
      const row: Row = {
        method,
        model: source === model ? 'testbed' : 'testbed, magnitude 50%',
        config: null,
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
        row.config = config;
        const job = { model: source, forget: forgetFile, retain: retainFile, method, config, out };
        const report = await unlearnModel(job, backend.name);
        row.unlearnSeconds = report.seconds;
        row.steps = report.steps;
        row.finalLoss = report.finalLoss;
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
      forget: values.forget,
      quick: values.quick,
      override,
      loadAverage: loadavg(),
      pruneSeconds,
      reference,
      rows,
    };
    if (!values.quick || values.out !== 'bench/results/testbed-methods.json') {
      mkdirSync(join(values.out, '..'), { recursive: true });
      writeFileSync(values.out, `${JSON.stringify(document, null, 1)}\n`);
    }
    console.log(table(rows, reference));
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
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
