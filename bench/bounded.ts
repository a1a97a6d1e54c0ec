/**
 * Bounded PEU benchmark (seed 002, issue 3 "Must show"): over a long GradDiff run through LoRA
 * adapters on the MLP projections, does plain LoRA's gradient norm grow while the sine-bounded
 * adapter's stays bounded? Records per step the adapter-gradient norm (the trainer's gradNorm,
 * before clipping: the trainable variables are the adapters), the adapter norm ‖A‖,‖B‖ and the
 * update norm ‖W − W₀‖, for bound none / sine / tanh.
 *
 *   node --import tsx bench/bounded.ts [--steps 300] [--ranks 8] [--clips 0,1] [--lr 2e-4]
 *     [--out bench/results/bounded-testbed.json] [--svg bench/results/bounded-gradnorm.svg]
 *
 * Model: the unlearning tests' testbed (tests/unlearn/testbed.ts: a 2-layer, 64-wide GPT-2 that
 * recites 8 synthetic people; forget 3, retain 5). batchSize 3, so one optimizer step per epoch.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import type { StepRecord } from '../src/shared/training.ts';
import { selectBackend } from '../src/worker/engine/backend.ts';
import { loadModel } from '../src/worker/model/load.ts';
import { writeModelFolder } from '../src/worker/model/model-folder.ts';
import { loadTokenizer } from '../src/worker/model/tokenizer.ts';
import { resolveConfig } from '../src/worker/unlearn/config.ts';
import { bounded } from '../src/worker/unlearn/methods/bounded.ts';
import { train } from '../src/worker/unlearn/trainer.ts';
import { buildTestbed, measure, type Testbed } from '../tests/unlearn/testbed.ts';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '300' },
    ranks: { type: 'string', default: '8' },
    clips: { type: 'string', default: '0,1' },
    bounds: { type: 'string', default: 'none,sine,tanh' },
    lr: { type: 'string', default: '2e-4' },
    seed: { type: 'string', default: '0' },
    out: { type: 'string', default: 'bench/results/bounded-testbed.json' },
    svg: { type: 'string', default: 'bench/results/bounded-gradnorm.svg' },
  },
});

interface Series {
  readonly bound: string;
  readonly lr: number;
  readonly rank: number;
  readonly clip: number;
  readonly gradNorm: number[];
  readonly adapterNorm: number[];
  readonly deltaNorm: number[];
  readonly forgetNllTerm: number[];
  readonly after: Awaited<ReturnType<typeof measure>>;
  readonly seconds: number;
}

async function runOne(
  bed: Testbed,
  scratch: string,
  spec: string,
  rank: number,
  clip: number,
): Promise<Series> {
  // `none@2.5e-3`: the bound with its own learning rate (plain LoRA has no ω/√d_in factor).
  const [bound, ownLr] = spec.split('@') as [string, string | undefined];
  const lr = Number(ownLr ?? values.lr);
  const began = performance.now();
  const tokenizer = loadTokenizer(bed.modelDir);
  const seqs = (texts: readonly string[]) =>
    texts.map((text, i) => ({ id: `${i}#0`, ids: tokenizer.encode(text).slice(0, 128) }));
  const forget = seqs(bed.forgetTexts);
  const retain = seqs(bed.retainTexts);
  const config = resolveConfig(
    {
      lr,
      epochs: Number(values.steps),
      batchSize: 3,
      maxGradNorm: clip,
      seed: Number(values.seed),
      rank,
      bound,
    },
    bounded,
    undefined,
  );
  const loaded = loadModel(bed.modelDir);
  const model = loaded.model;
  try {
    const run = await bounded.prepare({ model, forget, retain, config });
    let records: StepRecord[];
    const out = join(scratch, `run-${bound}-${lr}-${rank}-${clip}`);
    rmSync(out, { recursive: true, force: true });
    mkdirSync(out, { recursive: true });
    try {
      records = (await train({ run, method: 'bounded', forget, retain, config })).records;
      await run.finish?.(out);
    } finally {
      run.dispose();
    }
    await writeModelFolder(bed.modelDir, out, model, loaded.checkpoint.dtype);
    const after = await measure(out, bed);
    rmSync(out, { recursive: true, force: true });
    return {
      bound,
      lr,
      rank,
      clip,
      gradNorm: records.map((r) => r.gradNorm),
      adapterNorm: records.map((r) => r.extra.adapterNorm!),
      deltaNorm: records.map((r) => r.extra.deltaNorm!),
      forgetNllTerm: records.map((r) => r.terms.forgetNll!),
      after,
      seconds: (performance.now() - began) / 1000,
    };
  } finally {
    model.dispose();
  }
}

const g = (x: number) => (Math.abs(x) >= 100 ? x.toFixed(0) : x.toPrecision(3));

function table(series: Series[], steps: number): string {
  const marks = [1, 10, 50, 100, 200, 300, 400].filter((s) => s <= steps);
  const head = `| bound | lr | rank | clip | ${marks.map((s) => `‖g‖ @${s}`).join(' | ')} | max ‖g‖ (step) | ‖ΔW‖ @${steps} | max ‖ΔW‖ | forget NLL | retain NLL | forget exact |`;
  const rule = `|---|---:|---:|---:|${marks.map(() => '---:').join('|')}|---:|---:|---:|---:|---:|---:|`;
  const rows = series.map((s) => {
    const max = Math.max(...s.gradNorm);
    return `| ${s.bound} | ${s.lr} | ${s.rank} | ${s.clip || 'off'} | ${marks.map((m) => g(s.gradNorm[m - 1]!)).join(' | ')} | ${g(max)} (${s.gradNorm.indexOf(max) + 1}) | ${g(s.deltaNorm.at(-1)!)} | ${g(Math.max(...s.deltaNorm))} | ${s.after.forgetNll.toFixed(2)} | ${s.after.retainNll.toFixed(3)} | ${s.after.forgetExact.toFixed(2)} |`;
  });
  return [head, rule, ...rows].join('\n');
}

/** A hand-written SVG: log10 gradient norm per step, one polyline per run. */
function svg(series: Series[]): string {
  const W = 720;
  const H = 360;
  const pad = 50;
  const all = series.flatMap((s) => s.gradNorm).filter((x) => x > 0);
  const lo = Math.floor(Math.log10(Math.min(...all)));
  const hi = Math.ceil(Math.log10(Math.max(...all)));
  const steps = Math.max(...series.map((s) => s.gradNorm.length));
  const x = (i: number) => pad + ((W - 2 * pad) * i) / Math.max(1, steps - 1);
  const y = (v: number) => H - pad - ((H - 2 * pad) * (Math.log10(v) - lo)) / Math.max(1, hi - lo);
  const colours = ['#d62728', '#1f77b4', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b'];
  const lines = series.map((s, k) => {
    const points = s.gradNorm.map((v, i) => `${x(i).toFixed(1)},${y(v).toFixed(1)}`).join(' ');
    const c = colours[k % colours.length]!;
    return (
      `<polyline fill="none" stroke="${c}" stroke-width="1.5" points="${points}"/>` +
      `<text x="${W - pad - 210}" y="${pad + 16 * k}" fill="${c}" font-size="12">${s.bound} lr ${s.lr} r${s.rank} clip ${s.clip || 'off'}</text>`
    );
  });
  const ticks = [];
  for (let e = lo; e <= hi; e++)
    ticks.push(
      `<line x1="${pad}" x2="${W - pad}" y1="${y(10 ** e)}" y2="${y(10 ** e)}" stroke="#ddd"/>` +
        `<text x="${pad - 6}" y="${y(10 ** e) + 4}" font-size="11" text-anchor="end">1e${e}</text>`,
    );
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" font-family="sans-serif">`,
    `<rect width="${W}" height="${H}" fill="white"/>`,
    ...ticks,
    `<text x="${W / 2}" y="${H - 12}" font-size="12" text-anchor="middle">optimizer step (1..${steps})</text>`,
    `<text x="14" y="${H / 2}" font-size="12" transform="rotate(-90 14 ${H / 2})" text-anchor="middle">adapter gradient norm (log)</text>`,
    ...lines,
    '</svg>',
  ].join('\n');
}

async function main() {
  await selectBackend('wasm');
  const steps = Number(values.steps);
  const scratch = mkdtempSync(join(tmpdir(), 'nepenthe-bench-bounded-'));
  try {
    const bed = await buildTestbed(scratch);
    const before = await measure(bed.modelDir, bed);
    console.log('before:', JSON.stringify(before));
    const series: Series[] = [];
    for (const clip of values.clips.split(',').map(Number))
      for (const rank of values.ranks.split(',').map(Number))
        for (const bound of values.bounds.split(',')) {
          const s = await runOne(bed, scratch, bound, rank, clip);
          console.log(
            `${bound} lr ${s.lr} r${rank} clip ${clip}: ${s.seconds.toFixed(0)} s, max ‖g‖ ${g(Math.max(...s.gradNorm))}, after ${JSON.stringify(s.after)}`,
          );
          series.push(s);
        }
    const text = table(series, steps);
    console.log(`\nlr ${values.lr}, ${steps} steps, batch 3 + 3, seed ${values.seed}\n\n${text}`);
    writeFileSync(values.out, JSON.stringify({ lr: Number(values.lr), steps, before, series }));
    writeFileSync(values.svg, svg(series.filter((s) => s.clip === 0)));
    console.log(`wrote ${values.out} and ${values.svg}`);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}

await main();
