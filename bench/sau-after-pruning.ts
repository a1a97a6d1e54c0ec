/**
 * SAU's motivating case on the bundled testbed (seed 000, issue 15): does a dense model that
 * forgot recite the forgotten text again once it is pruned? And what do SAU on the pruned
 * model, and a dense method on it, give? (The pipelines: bench/unlearn-then-prune.ts.)
 *
 *   node --import tsx bench/sau-after-pruning.ts [--seeds 0,1,2] [--pruners magnitude,wanda]
 *     [--sparsity 0.5] [--dense graddiff,graddiff-calibrated,targetnll-calibrated]
 *     [--sau sau,sau+targetnll-calibrated] [--out bench/results/sau-after-pruning.json]
 *
 * Testbed: resources/testbed (model, forget10, retain, holdout, reference). As an audit does,
 * the holdout's 20 people are split once (`--split-seed`) into a calibration half, which only
 * steers calibrated runs and sets targetnll's τ, and an evaluation half, the holdout of every
 * evaluation here (reference row included). Calibrated runs aim at the reference's Min-K% AUC.
 * Wanda's calibration text is the retain set (the model's remaining job; `prune` keeps its first
 * 32 windows). `--seeds` are the runs' seeds (batch order); pruning has none.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { readDocuments } from '../src/worker/data/documents.ts';
import { splitHoldout } from '../src/worker/data/holdout-split.ts';
import { selectBackend } from '../src/worker/engine/backend.ts';
import {
  markdownTable,
  originalRows,
  seedRows,
  variantNamed,
  type Row,
} from './unlearn-then-prune.ts';

const { values } = parseArgs({
  options: {
    testbed: { type: 'string', default: 'resources/testbed' },
    presets: { type: 'string', default: 'resources/testbed/presets' },
    seeds: { type: 'string', default: '0' },
    'split-seed': { type: 'string', default: '0' },
    pruners: { type: 'string', default: 'magnitude,wanda' },
    sparsity: { type: 'string', default: '0.5' },
    dense: { type: 'string', default: 'graddiff,graddiff-calibrated,targetnll-calibrated' },
    sau: { type: 'string', default: 'sau,sau+targetnll-calibrated' },
    backend: { type: 'string', default: 'wasm' },
    out: { type: 'string', default: 'bench/results/sau-after-pruning.json' },
  },
});

const list = (text: string) => text.split(',').filter((s) => s !== '');

async function main(): Promise<void> {
  const backend = await selectBackend(values.backend as 'wasm' | 'native');
  const bed = values.testbed;
  const corpus = (name: string) => join(bed, 'corpus', `${name}.jsonl`);
  const split = splitHoldout(await readDocuments(corpus('holdout')), Number(values['split-seed']));
  const scratch = mkdtempSync(join(tmpdir(), 'nepenthe-sau-after-pruning-'));
  const began = performance.now();
  const loadBefore = loadavg();
  try {
    const setting = {
      scratch,
      backend: backend.name,
      model: join(bed, 'model'),
      forget: corpus('forget10'),
      retain: corpus('retain'),
      holdout: corpus('holdout'),
      holdoutEvaluation: split.evaluation,
      calibration: split.calibration,
      reference: join(bed, 'reference'),
      pruners: list(values.pruners),
      sparsity: Number(values.sparsity),
      pruneCalibration: corpus('retain'),
      dense: list(values.dense).map((n) => variantNamed(n, values.presets)),
      sau: list(values.sau).map((n) => variantNamed(n, values.presets)),
      log: (line: string) => console.error(line),
    };
    const { rows, pruned } = await originalRows(setting);
    const all: Row[] = [...rows];
    for (const seed of list(values.seeds).map(Number))
      all.push(...(await seedRows(setting, pruned, seed)));
    const table = markdownTable(all);
    const document = {
      command:
        `node --import tsx bench/sau-after-pruning.ts ${process.argv.slice(2).join(' ')}`.trim(),
      backend: backend.name,
      node: process.version,
      loadAverage: { before: loadBefore, after: loadavg() },
      seconds: (performance.now() - began) / 1000,
      holdoutSplit: {
        seed: Number(values['split-seed']),
        calibration: split.calibration.map((d) => d.id),
        evaluation: split.evaluation.map((d) => d.id),
      },
      sparsity: setting.sparsity,
      pruneCalibration: 'corpus/retain.jsonl',
      variants: [...setting.dense, ...setting.sau],
      rows: all.map((r) => ({ ...r, model: r.model.replace(scratch, '<scratch>') })),
      table,
    };
    mkdirSync(join(values.out, '..'), { recursive: true });
    writeFileSync(values.out, `${JSON.stringify(document, null, 1)}\n`);
    console.log(table);
    console.log(
      `wrote ${values.out}: ${document.seconds.toFixed(0)} s, load average ${loadBefore.map((l) => l.toFixed(1)).join(' / ')} → ${document.loadAverage.after.map((l) => l.toFixed(1)).join(' / ')}`,
    );
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
