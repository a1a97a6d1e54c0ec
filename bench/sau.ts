/**
 * SAU quality benchmark (seed 000, issue 3 "Must show"): with the same budget (base loss
 * graddiff, lr, steps, batch order), does sparsity-aware unlearning forget more than dense
 * graddiff on the sparse model with the zeros re-imposed after each step?
 *
 *   node --import tsx bench/sau.ts [--seeds 0,1,2] [--lr 1e-4] [--epochs 2] [--batch 1]
 *     [--sparsity magnitude50,nm24,wanda50] [--scan] [--out bench/results/sau-testbed.json]
 *
 * Model: the unlearning tests' testbed (tests/unlearn/testbed.ts: a 2-layer, 64-wide GPT-2
 * that recites 8 synthetic people; forget 3, retain 5), pruned here. Variants:
 *   dense+reimpose  graddiff on every weight, then θ ← M ⊙ θ after each update (the baseline,
 *                   written here as a MethodRun wrapper: it is a comparator, not a product method)
 *   sau-none        SAU masking only (redistribution none)
 *   sau-rownorm     SAU, survivors rescaled to the full row norm
 *   sau-wanda       SAU, importance redistribution by Wanda scores (forget-set activations)
 *   sau-fisher      SAU, importance redistribution by Fisher scores G²
 * `--scan` first runs the baseline over a few budgets to find one where it has not fully
 * forgotten (exact rate strictly between 0 and 1).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { selectBackend } from '../src/worker/engine/backend.ts';
import { loadModel } from '../src/worker/model/load.ts';
import { writeModelFolder } from '../src/worker/model/model-folder.ts';
import { loadTokenizer } from '../src/worker/model/tokenizer.ts';
import { prunerFor } from '../src/worker/prune/index.ts';
import type { SparsityTarget } from '../src/worker/prune/target.ts';
import { chunkTokens } from '../src/worker/tasks/score.ts';
import type { TokenSequence } from '../src/worker/unlearn/batch.ts';
import { resolveConfig } from '../src/worker/unlearn/config.ts';
import type { MethodRun } from '../src/worker/unlearn/method.ts';
import { graddiff } from '../src/worker/unlearn/methods/graddiff.ts';
import { sau } from '../src/worker/unlearn/methods/sau.ts';
import { SparsityMasks } from '../src/worker/unlearn/sparsity/mask.ts';
import { train } from '../src/worker/unlearn/trainer.ts';
import { trainByteLevelBpe, writeTokenizerFolder } from '../src/worker/data/bpe-trainer.ts';
import { memorize } from '../tests/helpers/memorized-model.ts';
import { syntheticPeople } from '../tests/metrics/synthetic-people.ts';
import {
  buildTestbed,
  measure,
  SEED,
  type Measurement,
  type Testbed,
} from '../tests/unlearn/testbed.ts';

const { values } = parseArgs({
  options: {
    seeds: { type: 'string', default: '0,1,2' },
    testbeds: { type: 'string', default: String(SEED) },
    lr: { type: 'string', default: '1e-4' },
    epochs: { type: 'string', default: '2' },
    batch: { type: 'string', default: '1' },
    clip: { type: 'string', default: '1' },
    sparsity: { type: 'string', default: 'magnitude50,nm24' },
    variants: {
      type: 'string',
      default: 'dense+reimpose,sau-none,sau-rownorm,sau-wanda,sau-fisher',
    },
    scan: { type: 'boolean', default: false },
    'scan-lrs': { type: 'string', default: '2e-4,5e-4,1e-3' },
    'scan-epochs': { type: 'string', default: '1,2,4' },
    out: { type: 'string', default: 'bench/results/sau-testbed.json' },
  },
});

const SPARSITIES: Record<string, { pruner: string; target: SparsityTarget }> = {
  magnitude50: { pruner: 'magnitude', target: { kind: 'unstructured', fraction: 0.5 } },
  nm24: { pruner: 'magnitude', target: { kind: 'nm', n: 2, m: 4 } },
  wanda50: { pruner: 'wanda', target: { kind: 'unstructured', fraction: 0.5 } },
};

const VARIANTS: Record<string, object | null> = {
  'dense+reimpose': null,
  'sau-none': { redistribution: 'none' },
  'sau-rownorm': { redistribution: 'rownorm' },
  'sau-wanda': { redistribution: 'importance', importance: 'wanda' },
  'sau-fisher': { redistribution: 'importance', importance: 'fisher' },
};

interface Budget {
  readonly lr: number;
  readonly epochs: number;
  readonly batchSize: number;
  readonly maxGradNorm: number;
}

function sequences(modelDir: string, texts: readonly string[]): TokenSequence[] {
  const tokenizer = loadTokenizer(modelDir);
  return texts.flatMap((text, d) =>
    chunkTokens(tokenizer.encode(text), 128).map((ids, c) => ({ id: `${d}#${c}`, ids })),
  );
}

/**
 * The testbed with another seed (other people, tokenizer and initialization): buildTestbed's
 * recipe with the seed as a parameter; the default seed uses buildTestbed itself.
 */
async function seededTestbed(dir: string, seed: number): Promise<Testbed> {
  if (seed === SEED) return buildTestbed(dir);
  const texts = syntheticPeople(12, seed).map((p) => p.text);
  const modelDir = join(dir, 'model');
  mkdirSync(modelDir, { recursive: true });
  const trained = trainByteLevelBpe(texts, { vocabSize: 512 });
  writeTokenizerFolder(modelDir, trained, 128);
  const tokenizer = loadTokenizer(modelDir);
  const members = texts.slice(0, 8);
  const ids = members.map((t) => tokenizer.encode(t));
  const training = await memorize(ids, trained.vocabSize, modelDir, { positions: 128, seed });
  if (training.loss > 0.1)
    throw new Error(`testbed ${seed}: memorization stopped at ${training.loss}`);
  const write = (name: string, set: readonly string[]) => {
    const file = join(dir, `${name}.jsonl`);
    writeFileSync(file, set.map((text) => JSON.stringify({ text })).join('\n'));
    return file;
  };
  return {
    modelDir,
    forgetFile: write('forget', members.slice(0, 3)),
    retainFile: write('retain', members.slice(3)),
    holdoutFile: write('holdout', texts.slice(8)),
    forgetTexts: members.slice(0, 3),
    retainTexts: members.slice(3),
  };
}

/** A pruned copy of the testbed model at `out` (Wanda calibrates on all eight members). */
async function prune(bed: Testbed, out: string, kind: string): Promise<string> {
  const { pruner, target } = SPARSITIES[kind]!;
  const loaded = loadModel(bed.modelDir);
  try {
    const calibration = sequences(bed.modelDir, [...bed.forgetTexts, ...bed.retainTexts]);
    await prunerFor(pruner).prune(loaded.model, { target, calibration });
    await writeModelFolder(bed.modelDir, out, loaded.model, loaded.checkpoint.dtype);
  } finally {
    loaded.model.dispose();
  }
  return out;
}

/** One unlearning run of `variant` on `modelDir`; returns the measurement of the result. */
async function runVariant(
  bed: Testbed,
  modelDir: string,
  variant: string,
  budget: Budget,
  seed: number,
  scratch: string,
): Promise<Measurement & { finalGradNorm: number; sparsityAfter: number }> {
  const loaded = loadModel(modelDir);
  const model = loaded.model;
  const forget = sequences(modelDir, bed.forgetTexts);
  const retain = sequences(modelDir, bed.retainTexts);
  const common = { ...budget, seed };
  const sauKeys = VARIANTS[variant];
  if (sauKeys === undefined) throw new Error(`unknown variant ${variant}`);
  const method = sauKeys === null ? 'graddiff' : 'sau';
  const config =
    sauKeys === null
      ? resolveConfig(common, graddiff, undefined)
      : resolveConfig({ ...common, ...sauKeys }, sau, undefined);
  let run: MethodRun;
  try {
    if (sauKeys === null) {
      // The baseline: dense graddiff, then the zeros re-imposed after every update.
      const base = await graddiff.prepare({ model, forget, retain, config });
      const masks = SparsityMasks.fromZeros(model.params);
      run = {
        trainable: base.trainable,
        loss: (input) => base.loss(input),
        afterUpdate: () => masks.reimpose(model.params),
        dispose() {
          base.dispose();
          masks.dispose();
        },
      };
    } else {
      run = await sau.prepare({ model, forget, retain, config });
    }
    let result;
    try {
      result = await train({ run, method, forget, retain, config });
    } finally {
      run.dispose();
    }
    const masksAfter = SparsityMasks.fromZeros(model.params);
    const sparsityAfter = masksAfter.sparsity();
    masksAfter.dispose();
    const out = join(scratch, `run-${variant}-${seed}`);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    await writeModelFolder(modelDir, out, model, loaded.checkpoint.dtype);
    const measured = await measure(out, bed);
    rmSync(out, { recursive: true, force: true });
    return { ...measured, finalGradNorm: result.records.at(-1)!.gradNorm, sparsityAfter };
  } finally {
    model.dispose();
  }
}

const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
const spread = (xs: number[]) => (Math.max(...xs) - Math.min(...xs)) / 2;
const fmt = (xs: number[], digits: number) =>
  `${mean(xs).toFixed(digits)} ± ${spread(xs).toFixed(digits)}`;

type Row = { testbed: number; seed: number } & Awaited<ReturnType<typeof runVariant>>;

async function main() {
  await selectBackend('wasm');
  const seeds = values.seeds.split(',').map(Number);
  const testbedSeeds = values.testbeds.split(',').map(Number);
  const budget: Budget = {
    lr: Number(values.lr),
    epochs: Number(values.epochs),
    batchSize: Number(values.batch),
    maxGradNorm: Number(values.clip),
  };
  const kinds = values.sparsity.split(',');
  const scratch = mkdtempSync(join(tmpdir(), 'nepenthe-bench-sau-'));
  const began = performance.now();
  try {
    // Every testbed and its pruned copies first; "before" measurements per testbed.
    const beds = [];
    for (const t of testbedSeeds) {
      const dir = join(scratch, `testbed-${t}`);
      mkdirSync(dir, { recursive: true });
      const bed = await seededTestbed(dir, t);
      const dense = await measure(bed.modelDir, bed);
      const pruned: Record<string, { modelDir: string; before: Measurement }> = {};
      for (const kind of kinds) {
        const modelDir = await prune(bed, join(dir, `pruned-${kind}`), kind);
        pruned[kind] = { modelDir, before: await measure(modelDir, bed) };
      }
      console.log(`testbed ${t}: dense ${JSON.stringify(dense)}`);
      for (const kind of kinds) console.log(`  ${kind}: ${JSON.stringify(pruned[kind]!.before)}`);
      beds.push({ seed: t, bed, dense, pruned });
    }
    const output: Record<string, unknown> = {
      budget,
      seeds,
      testbeds: beds.map((b) => ({ seed: b.seed, dense: b.dense, before: b.pruned })),
      settings: {},
    };
    for (const kind of kinds) {
      if (values.scan) {
        const scan = [];
        const { bed, pruned } = beds[0]!;
        for (const lr of values['scan-lrs'].split(',').map(Number))
          for (const epochs of values['scan-epochs'].split(',').map(Number)) {
            const b = { ...budget, lr, epochs };
            const r = await runVariant(
              bed,
              pruned[kind]!.modelDir,
              'dense+reimpose',
              b,
              seeds[0]!,
              scratch,
            );
            console.log(`scan ${kind} lr ${lr} epochs ${epochs}:`, JSON.stringify(r));
            scan.push({ ...b, ...r });
          }
        (output.settings as Record<string, unknown>)[kind] = { scan };
        continue;
      }
      const befores = beds.map((b) => b.pruned[kind]!.before);
      const pick = (rows: readonly Measurement[], k: keyof Measurement) => rows.map((r) => r[k]);
      const lines = [
        `\n### ${kind}: lr ${budget.lr}, epochs ${budget.epochs}, batch ${budget.batchSize}, clip ${budget.maxGradNorm}, testbeds ${testbedSeeds.join(',')} × seeds ${seeds.join(',')}`,
        `before (pruned, over testbeds): forget exact ${fmt(pick(befores, 'forgetExact'), 3)}, forget NLL ${fmt(pick(befores, 'forgetNll'), 3)}, retain NLL ${fmt(pick(befores, 'retainNll'), 3)}, retain exact ${fmt(pick(befores, 'retainExact'), 3)}`,
        '',
        '| variant | forget exact ↓ | forget NLL ↑ | retain NLL ↓ | retain exact ↑ | Δ forget NLL vs baseline (paired) | more / fewer forget NLL than baseline | sparsity after |',
        '|---|---:|---:|---:|---:|---:|---:|---:|',
      ];
      const runs: Record<string, Row[]> = {};
      for (const variant of values.variants.split(',')) {
        const per: Row[] = [];
        for (const { seed: t, bed, pruned } of beds)
          for (const seed of seeds) {
            const r = await runVariant(bed, pruned[kind]!.modelDir, variant, budget, seed, scratch);
            console.log(`${kind} ${variant} testbed ${t} seed ${seed}:`, JSON.stringify(r));
            per.push({ testbed: t, seed, ...r });
          }
        runs[variant] = per;
        const base = runs['dense+reimpose'] ?? per;
        const diffs = per.map((r, i) => r.forgetNll - base[i]!.forgetNll);
        const col = (k: keyof Measurement | 'sparsityAfter') => per.map((r) => r[k]);
        lines.push(
          `| ${variant} | ${fmt(col('forgetExact'), 3)} | ${fmt(col('forgetNll'), 3)} | ${fmt(col('retainNll'), 3)} | ${fmt(col('retainExact'), 3)} | ${mean(diffs).toFixed(4)} ± ${spread(diffs).toFixed(4)} | ${diffs.filter((d) => d > 0).length} / ${diffs.filter((d) => d < 0).length} | ${mean(col('sparsityAfter')).toFixed(4)} |`,
        );
      }
      console.log(lines.join('\n'));
      (output.settings as Record<string, unknown>)[kind] = { runs, table: lines };
    }
    output.seconds = (performance.now() - began) / 1000;
    writeFileSync(values.out, JSON.stringify(output, null, 1));
    console.log(`wrote ${values.out} (${(output.seconds as number).toFixed(0)} s)`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
