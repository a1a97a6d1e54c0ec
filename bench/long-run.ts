/**
 * Long runs (issue 8): thousands of optimizer steps through the real trainer on the shipped
 * testbed model, sampling tfjs's tensor count and the process's memory as they go, to show that
 * neither grows with the number of steps (bench/RESULTS.md "Long runs").
 *
 *   node --expose-gc --import tsx bench/long-run.ts [--steps 2000] [--method graddiff]
 *     [--every 100] [--max-length 32] [--threads 1] [--out bench/results/long-run.json]
 *
 * Model resources/testbed/model (GPT-2, 2 layers, C 128, vocab 1536), forget = corpus/forget10,
 * retain = corpus/retain, cut into `--max-length` token chunks; the method's testbed preset
 * (resources/testbed/presets) with as many epochs as `--steps` needs, no checkpoints; wasm.
 * `sau` runs on the model after 50% magnitude pruning (in memory). `--method` takes a comma
 * list; each method is its own run on a freshly loaded model, and the JSON gets one entry each.
 *
 * Every `--every` steps (and after step 1) a sample: tf.memory() tensors and bytes, the wasm
 * heap, process.memoryUsage() (after a full GC when node runs with --expose-gc, so heapUsed is
 * live data, not garbage not yet collected). The verdict is computed from the samples: the
 * tensor count from the first sample at `--every` to the last, and the RSS growth from the
 * sample at step 200 (the allocator's warm-up) to the last, with a least-squares slope.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { readDocuments, type Document } from '../src/worker/data/documents.ts';
import { selectBackend } from '../src/worker/engine/backend.ts';
import { loadModel } from '../src/worker/model/load.ts';
import { loadTokenizer } from '../src/worker/model/tokenizer.ts';
import { prunerFor } from '../src/worker/prune/index.ts';
import { chunkTokens } from '../src/worker/tasks/score.ts';
import type { TokenSequence } from '../src/worker/unlearn/batch.ts';
import { resolveConfig } from '../src/worker/unlearn/config.ts';
import { methodNamed } from '../src/worker/unlearn/methods/index.ts';
import { planBatches } from '../src/worker/unlearn/schedule.ts';
import { train } from '../src/worker/unlearn/trainer.ts';

const { values } = parseArgs({
  options: {
    steps: { type: 'string', default: '2000' },
    method: { type: 'string', default: 'graddiff' },
    every: { type: 'string', default: '100' },
    'max-length': { type: 'string', default: '32' },
    threads: { type: 'string', default: '1' },
    testbed: { type: 'string', default: 'resources/testbed' },
    out: { type: 'string', default: '' },
  },
});
const steps = Number(values.steps);
const every = Number(values.every);
const maxLength = Number(values['max-length']);
/** RSS growth is measured from this step on: before it the allocators are still sizing up. */
const SETTLED_STEP = 200;
const MB = 1024 * 1024;

interface Sample {
  step: number;
  seconds: number;
  loss: number;
  numTensors: number;
  numBytes: number;
  wasmHeap: number | null;
  rss: number;
  heapUsed: number;
  heapTotal: number;
  external: number;
  arrayBuffers: number;
}

/** The wasm module's linear memory (it only grows), or null on another backend. */
function wasmHeapBytes(): number | null {
  const backend = tf.backend() as unknown as { wasm?: { HEAPU8?: Uint8Array } };
  return backend.wasm?.HEAPU8?.byteLength ?? null;
}

const gc = (globalThis as { gc?: () => void }).gc;

function sample(step: number, seconds: number, loss: number): Sample {
  gc?.();
  const memory = tf.memory();
  const usage = process.memoryUsage();
  return {
    step,
    seconds: Math.round(seconds * 100) / 100,
    loss,
    numTensors: memory.numTensors,
    numBytes: memory.numBytes,
    wasmHeap: wasmHeapBytes(),
    rss: usage.rss,
    heapUsed: usage.heapUsed,
    heapTotal: usage.heapTotal,
    external: usage.external,
    arrayBuffers: usage.arrayBuffers,
  };
}

/** Least-squares slope of y over x. */
function slope(xs: number[], ys: number[]): number {
  const n = xs.length;
  const mx = xs.reduce((a, b) => a + b, 0) / n;
  const my = ys.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  for (let i = 0; i < n; i++) {
    num += (xs[i]! - mx) * (ys[i]! - my);
    den += (xs[i]! - mx) ** 2;
  }
  return den === 0 ? 0 : num / den;
}

function verdictOf(samples: Sample[]) {
  const afterWarmUp = samples.filter((s) => s.step >= every);
  const tensors = new Set(afterWarmUp.map((s) => s.numTensors));
  const settled = samples.filter((s) => s.step >= SETTLED_STEP);
  const first = settled[0] ?? samples[0]!;
  const last = samples.at(-1)!;
  const growth = (key: 'rss' | 'heapUsed' | 'external' | 'arrayBuffers') => ({
    fromStep: first.step,
    toStep: last.step,
    growthMB: Math.round(((last[key] - first[key]) / MB) * 100) / 100,
    growthPercent: Math.round(((last[key] - first[key]) / first[key]) * 10000) / 100,
    slopeBytesPerStep: Math.round(
      slope(
        settled.map((s) => s.step),
        settled.map((s) => s[key]),
      ),
    ),
  });
  return {
    tensorsFlat: tensors.size === 1,
    tensorCount: tensors.size === 1 ? [...tensors][0]! : null,
    tensorCountRange: [Math.min(...tensors), Math.max(...tensors)],
    tensorBytesFlat: new Set(afterWarmUp.map((s) => s.numBytes)).size === 1,
    wasmHeapFlat: new Set(settled.map((s) => s.wasmHeap)).size === 1,
    rss: growth('rss'),
    heapUsed: growth('heapUsed'),
    external: growth('external'),
    arrayBuffers: growth('arrayBuffers'),
  };
}

async function sequencesOf(path: string, encode: (text: string) => number[]) {
  const docs: Document[] = await readDocuments(path);
  return docs.flatMap((doc) =>
    chunkTokens(encode(doc.text), maxLength)
      .map((ids, chunk) => ({ id: `${doc.id}#${chunk}`, ids }))
      .filter((s) => s.ids.length >= 2),
  );
}

async function runOne(name: string, forget: TokenSequence[], retain: TokenSequence[]) {
  const modelFolder = join(values.testbed, 'model');
  const method = methodNamed(name);
  const preset = JSON.parse(
    readFileSync(join(values.testbed, 'presets', `${name}.json`), 'utf8'),
  ) as Record<string, unknown>;
  const base = resolveConfig({ ...preset, maxLength }, method, undefined);
  const perEpoch = planBatches(base, forget.length, retain.length).stepsPerEpoch;
  const epochs = Math.ceil(steps / perEpoch);
  const config = resolveConfig(
    { ...preset, maxLength, epochs, checkpointEvery: 0 },
    method,
    undefined,
  );
  const { model, spec } = loadModel(modelFolder);
  if (name === 'sau')
    await prunerFor('magnitude').prune(model, { target: { kind: 'unstructured', fraction: 0.5 } });
  const run = await method.prepare({ model, forget, retain, config });
  // The model caches a causal mask per sequence length (bounded, see base.ts); one forward pass
  // per length fills the cache before counting, as tests/unlearn/trainer-memory.test.ts does.
  const lengths = new Set([...forget, ...retain].map((s) => s.ids.length));
  for (const T of lengths) tf.tidy(() => model.logits(tf.zeros([1, T], 'int32')));
  const samples: Sample[] = [sample(0, 0, NaN)];
  const began = performance.now();
  console.error(
    `${name}: ${forget.length} forget / ${retain.length} retain sequences, ${perEpoch} steps per epoch, ${epochs} epochs, stopping after ${steps}`,
  );
  const result = await train({
    run,
    method: name,
    forget,
    retain,
    config,
    stopAfterStep: steps,
    onStep: (p) => {
      if (p.step === 1 || p.step % every === 0) {
        const s = sample(p.step, (performance.now() - began) / 1000, p.loss);
        samples.push(s);
        console.error(
          `${name} step ${s.step}: ${s.numTensors} tensors, rss ${(s.rss / MB).toFixed(1)} MB, heap ${(s.heapUsed / MB).toFixed(1)} MB, ${s.seconds}s, loss ${s.loss.toFixed(3)}`,
        );
      }
    },
  });
  const seconds = (performance.now() - began) / 1000;
  run.dispose();
  model.dispose();
  const trained = result.records.length;
  const tokens = result.records.reduce((n, r) => n + r.tokens, 0);
  return {
    method: name,
    model: name === 'sau' ? 'testbed, magnitude 50% (in memory)' : 'testbed',
    modelShape: {
      layers: spec.layers,
      hidden: spec.hidden,
      heads: spec.heads,
      intermediate: spec.intermediate,
      vocab: spec.vocabSize,
      maxPositions: spec.maxPositions,
    },
    config,
    forgetSequences: forget.length,
    retainSequences: retain.length,
    steps: trained,
    seconds: Math.round(seconds * 10) / 10,
    tokensPerSecond: Math.round(tokens / seconds),
    samples,
    verdict: verdictOf(samples),
  };
}

function table(samples: Sample[]): string {
  const rows = samples.map(
    (s) =>
      `| ${s.step} | ${s.seconds} | ${s.numTensors} | ${(s.numBytes / MB).toFixed(2)} | ${
        s.wasmHeap === null ? '–' : (s.wasmHeap / MB).toFixed(0)
      } | ${(s.rss / MB).toFixed(1)} | ${(s.heapUsed / MB).toFixed(1)} | ${(s.external / MB).toFixed(1)} | ${(s.arrayBuffers / MB).toFixed(1)} |`,
  );
  return [
    '| step | s | tensors | tensor MB | wasm heap MB | RSS MB | heapUsed MB | external MB | arrayBuffers MB |',
    '|---:|---:|---:|---:|---:|---:|---:|---:|---:|',
    ...rows,
  ].join('\n');
}

async function main(): Promise<void> {
  process.env.NEPENTHE_WASM_THREADS = values.threads;
  const backend = await selectBackend('wasm');
  const tokenizer = loadTokenizer(join(values.testbed, 'model'));
  const encode = (text: string) => tokenizer.encode(text);
  const forget = await sequencesOf(join(values.testbed, 'corpus', 'forget10.jsonl'), encode);
  const retain = await sequencesOf(join(values.testbed, 'corpus', 'retain.jsonl'), encode);
  const loadBefore = loadavg();
  const runs = [];
  for (const name of values.method.split(',').filter((m) => m !== '')) {
    const r = await runOne(name, forget, retain);
    runs.push(r);
    console.log(`\n## ${name}: ${r.steps} steps in ${r.seconds}s (${r.tokensPerSecond} tok/s)\n`);
    console.log(table(r.samples));
    const v = r.verdict;
    console.log(
      `\ntensor count ${v.tensorsFlat ? `flat at ${v.tensorCount}` : `NOT flat: ${v.tensorCountRange.join('–')}`} from step ${every} to ${r.steps}; tensor bytes ${v.tensorBytesFlat ? 'flat' : 'NOT flat'}; wasm heap ${v.wasmHeapFlat ? 'flat' : 'grew'} after step ${SETTLED_STEP}`,
    );
    for (const key of ['rss', 'heapUsed', 'external', 'arrayBuffers'] as const) {
      const g = v[key];
      console.log(
        `${key}: ${g.growthMB >= 0 ? '+' : ''}${g.growthMB} MB (${g.growthPercent}%) from step ${g.fromStep} to ${g.toStep}; slope ${g.slopeBytesPerStep} B/step`,
      );
    }
  }
  const document = {
    command:
      `node --expose-gc --import tsx bench/long-run.ts ${process.argv.slice(2).join(' ')}`.trim(),
    date: new Date().toISOString(),
    machine: {
      cpus: cpus().length,
      cpu: cpus()[0]?.model ?? null,
      memoryGB: Math.round((totalmem() / 1024 ** 3) * 10) / 10,
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadavg(),
      node: process.version,
      tfjs: tf.version_core,
    },
    backend: backend.name,
    backendDetail: backend.reason,
    threads: Number(values.threads),
    gcBeforeSample: gc !== undefined,
    maxLength,
    every,
    settledStep: SETTLED_STEP,
    runs,
  };
  if (values.out) writeFileSync(values.out, `${JSON.stringify(document, null, 1)}\n`);
}

void main();
