/**
 * Train-step throughput of the unlearning methods through the real trainer (bench/RESULTS.md
 * "Unlearning step throughput"): the cpu-small shape (GPT-2, 4 layers, C 256, 8 heads, vocab
 * 8192, T 128, batch 4 forget + 4 retain), random weights, random token sequences, wasm.
 *
 *   node --import tsx bench/steps.ts [--methods graddiff,bounded] [--steps 6] [--out bench/results/steps.json]
 *
 * Each method runs `--steps` + 1 optimizer steps through `train()` (the first is warm-up and not
 * counted); tokens/s is forget + retain tokens of the counted steps over their wall time, from the
 * trainer's own per-step records. Bounded uses its defaults (rank 8, sine, ω 100) on the MLP
 * projections; SAU runs on the model after 50% magnitude pruning.
 */
import { writeFileSync } from 'node:fs';
import { cpus, loadavg } from 'node:os';
import { parseArgs } from 'node:util';
import { selectBackend } from '../src/worker/engine/backend.ts';
import { BENCH_SHAPES } from '../src/worker/tasks/bench.ts';
import { train } from '../src/worker/unlearn/trainer.ts';
import { methodSetup } from './method-setup.ts';

const { values: options } = parseArgs({
  options: {
    methods: { type: 'string', default: 'graddiff,bounded' },
    steps: { type: 'string', default: '6' },
    out: { type: 'string', default: '' },
  },
});
const steps = Number(options.steps);
const shape = BENCH_SHAPES['cpu-small']!;

async function main() {
  const backend = await selectBackend('wasm');
  const rows = [];
  for (const name of options.methods.split(',')) {
    const { method, model, forget, retain, config } = await methodSetup(name, shape, steps + 1);
    const run = await method.prepare({ model, forget, retain, config });
    const started = performance.now();
    const result = await train({ run, method: name, forget, retain, config });
    const wall = (performance.now() - started) / 1000;
    const counted = result.records.slice(1);
    const tokens = counted.reduce((n, r) => n + r.tokens, 0);
    const seconds = counted.reduce((s, r) => s + r.seconds, 0);
    rows.push({
      method: name,
      steps: counted.length,
      tokensPerStep: counted[0]!.tokens,
      tokensPerSecond: Math.round((tokens / seconds) * 10) / 10,
      secondsPerStep: Math.round((seconds / counted.length) * 1000) / 1000,
      wallSeconds: Math.round(wall * 10) / 10,
    });
    run.dispose();
    model.dispose();
    console.error(`${name}: ${rows.at(-1)!.tokensPerSecond} tok/s`);
  }
  const document = {
    backend: backend.name,
    backendDetail: backend.reason,
    shape: 'cpu-small',
    cpus: cpus().length,
    loadavg: loadavg(),
    node: process.version,
    rows,
  };
  console.log('| method | tok/s | s/step | tokens/step |\n|---|---:|---:|---:|');
  for (const r of rows)
    console.log(
      `| ${r.method} | ${r.tokensPerSecond} | ${r.secondsPerStep} | ${r.tokensPerStep} |`,
    );
  if (options.out) writeFileSync(options.out, JSON.stringify(document, null, 1));
}

void main();
