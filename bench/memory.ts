/**
 * The app's memory estimate (src/shared/memory-estimate.ts) against the measured peak of
 * real unlearning runs: each method through the real trainer (`train()`), 2 optimizer steps. The
 * peak is the most tensor memory the backend held at once (weights, gradients, optimizer moments,
 * activations, temporaries), counted per buffer as the wasm backend allocates and frees them:
 * tf.profile's peakBytes counts every tensor object, so views and shared buffers would count
 * twice. On a GPU backend the same quantity is the memory tensors take on the device, less the
 * allocator's slack; here it is the wasm heap's tensors. The wasm heap size after the run (it
 * only grows: peak plus fragmentation) is listed too.
 *
 *   node --import tsx bench/memory.ts [--shapes cpu-small,mid,cpu-small/batch=2] [--methods graddiff,bounded,sau]
 *     [--out bench/results/memory.json]
 *
 * graddiff and sau are full-parameter (compared with the estimate's fullParameterBytes), bounded
 * is LoRA (loraBytes, rank 8), eval one forward pass of batch × seq tokens (evalBytes). Random
 * weights and tokens, batch and sequence as the shape says.
 */
import { writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import { estimateMemory } from '../src/shared/memory-estimate.ts';
import { selectBackend } from '../src/worker/engine/backend.ts';
import { createRandomModel } from '../src/worker/model/architectures/index.ts';
import { benchSpec, type BenchShape } from '../src/worker/tasks/bench.ts';
import { train } from '../src/worker/unlearn/trainer.ts';
import { methodSetup } from './method-setup.ts';

const SHAPES: Record<string, BenchShape> = {
  'cpu-small': { layers: 4, embd: 256, heads: 8, vocab: 8192, seq: 128, batch: 4 },
  // A GPT-2 of 33M parameters: 6 layers of 512, GPT-2's vocabulary.
  mid: { layers: 6, embd: 512, heads: 8, vocab: 50257, seq: 128, batch: 4 },
};

const { values: options } = parseArgs({
  options: {
    shapes: { type: 'string', default: 'cpu-small,mid' },
    methods: { type: 'string', default: 'graddiff,bounded,sau' },
    out: { type: 'string', default: '' },
  },
});

interface TrackedBackend {
  move(dataId: object, values: unknown, shape: number[], dtype: string, refCount: number): void;
  disposeData(dataId: object, force?: boolean): boolean;
  dataIdMap: { has(dataId: object): boolean };
  wasm: { HEAPU8: Uint8Array };
}

let tracker: { now(): number; peak(): number; resetPeak(): void } | null = null;

/** Live bytes of the wasm backend's buffers, from its allocations and frees (installed once). */
function liveBytes(): { now(): number; peak(): number; resetPeak(): void } {
  if (tracker) return tracker;
  const backend = tf.backend() as unknown as TrackedBackend;
  const sizes = new WeakMap<object, number>();
  let current = 0;
  let highest = 0;
  const move = backend.move.bind(backend);
  backend.move = (dataId, values, shape, dtype, refCount) => {
    move(dataId, values, shape, dtype, refCount);
    const bytes = dtype === 'string' ? 0 : shape.reduce((a, b) => a * b, 1) * 4;
    sizes.set(dataId, bytes);
    current += bytes;
    highest = Math.max(highest, current);
  };
  const dispose = backend.disposeData.bind(backend);
  backend.disposeData = (dataId, force) => {
    const existed = backend.dataIdMap.has(dataId);
    const freed = dispose(dataId, force);
    if (freed && existed) current -= sizes.get(dataId) ?? 0;
    return freed;
  };
  tracker = {
    now: () => current,
    peak: () => highest,
    resetPeak: () => {
      highest = current;
    },
  };
  return tracker;
}

const heapBytes = (): number => (tf.backend() as unknown as TrackedBackend).wasm.HEAPU8.length;

/**
 * A named shape, optionally with fields changed: `cpu-small/batch=2/layers=2` (fields of
 * BenchShape: layers, embd, heads, vocab, seq, batch).
 */
function parseShape(text: string): BenchShape {
  const [name, ...changes] = text.split('/');
  const base = SHAPES[name!];
  if (!base) throw new Error(`unknown shape ${name}; known: ${Object.keys(SHAPES).join(', ')}`);
  const shape: Record<string, number> = { ...base };
  for (const change of changes) {
    const [key, value] = change.split('=');
    if (!(key! in shape) || !Number.isInteger(Number(value)))
      throw new Error(`bad shape change "${change}" (e.g. batch=2)`);
    shape[key!] = Number(value);
  }
  return shape as unknown as BenchShape;
}

/** Forward pass only (scoring): the logits of one batch of batch × seq tokens. */
async function measureEval(
  shapeName: string,
  shape: BenchShape,
  live: ReturnType<typeof liveBytes>,
): Promise<Row> {
  const baseline = live.now();
  const model = createRandomModel(benchSpec(shape), 0);
  const parameters = [...model.params.values()].reduce((n, p) => n + p.size, 0);
  const weights = live.now() - baseline;
  const ids = tf.randomUniform([shape.batch, shape.seq], 0, shape.vocab, 'int32', 5);
  live.resetPeak();
  const logits = tf.tidy(() => model.logits(ids as tf.Tensor2D));
  await logits.data();
  const peakBytes = live.peak() - baseline;
  tf.dispose([logits, ids]);
  model.dispose();
  const estimated = estimateFor(shape, parameters).evalBytes;
  return {
    shape: shapeName,
    method: 'eval',
    parameters,
    measuredPeakBytes: peakBytes,
    weightsBytes: weights,
    leftBehindBytes: live.now() - baseline,
    wasmHeapBytes: heapBytes(),
    estimatedBytes: estimated,
    estimateOverPeak: Math.round((estimated / peakBytes) * 1000) / 1000,
  };
}

interface Row {
  shape: string;
  method: string;
  parameters: number;
  measuredPeakBytes: number;
  weightsBytes: number;
  leftBehindBytes: number;
  wasmHeapBytes: number;
  estimatedBytes: number;
  estimateOverPeak: number;
}

function estimateFor(shape: BenchShape, parameters: number) {
  return estimateMemory(
    { parameters, layers: shape.layers, hidden: shape.embd, vocab: shape.vocab },
    {
      batchSize: shape.batch,
      sequenceLength: shape.seq,
      rank: 8,
      heads: shape.heads,
      gpuMemoryBytes: null,
      onGpu: false,
      systemMemoryBytes: 0,
    },
  );
}

async function main(): Promise<void> {
  const backend = await selectBackend('wasm');
  const rows: Row[] = [];
  for (const shapeName of options.shapes.split(',')) {
    const shape = parseShape(shapeName);
    for (const name of options.methods.split(',')) {
      const live = liveBytes();
      if (name === 'eval') {
        rows.push(await measureEval(shapeName, shape, live));
        continue;
      }
      const baseline = live.now(); // what earlier rows left behind (should be nothing)
      const { method, model, forget, retain, config } = await methodSetup(name, shape, 2);
      const parameters = [...model.params.values()].reduce((n, p) => n + p.size, 0);
      const weights = live.now() - baseline;
      live.resetPeak();
      const run = await method.prepare({ model, forget, retain, config });
      await train({ run, method: name, forget, retain, config });
      const peakBytes = live.peak() - baseline;
      run.dispose();
      model.dispose();
      const leftBehind = live.now() - baseline;
      const estimate = estimateFor(shape, parameters);
      const estimated = name === 'bounded' ? estimate.loraBytes : estimate.fullParameterBytes;
      const row = {
        shape: shapeName,
        method: name,
        parameters,
        measuredPeakBytes: peakBytes,
        weightsBytes: weights,
        leftBehindBytes: leftBehind,
        wasmHeapBytes: heapBytes(),
        estimatedBytes: estimated,
        estimateOverPeak: Math.round((estimated / peakBytes) * 1000) / 1000,
      };
      rows.push(row);
      console.error(
        `${shapeName} ${name}: peak ${(row.measuredPeakBytes / 2 ** 20).toFixed(1)} MiB, ` +
          `estimate ${(estimated / 2 ** 20).toFixed(1)} MiB (${row.estimateOverPeak}×)`,
      );
    }
  }
  console.log(
    '| shape | method | parameters | measured peak MiB | estimate MiB | estimate / peak | wasm heap MiB |',
  );
  console.log('|---|---|---:|---:|---:|---:|---:|');
  for (const r of rows)
    console.log(
      `| ${r.shape} | ${r.method} | ${r.parameters} | ${(r.measuredPeakBytes / 2 ** 20).toFixed(1)} | ${(r.estimatedBytes / 2 ** 20).toFixed(1)} | ${r.estimateOverPeak} | ${(r.wasmHeapBytes / 2 ** 20).toFixed(0)} |`,
    );
  if (options.out)
    writeFileSync(
      options.out,
      `${JSON.stringify({ backend: backend.reason, date: new Date().toISOString(), rows }, null, 1)}\n`,
    );
}

void main();
