/**
 * wasm BatchMatMul throughput, stock kernel vs the routed one
 * (src/worker/engine/wasm-kernels/batch-mat-mul.ts), on the products of one cpu-small train step
 * (4 layers, C 256, 8 heads of 32, vocab 8192, T 128, B 4: M = B·T = 512 rows).
 *
 *   node --import tsx bench/matmul.ts [--filter lm_head] [--budget-ms 2000] [--out bench/results/matmul.json]
 *     [--threads N]   (N > 1: the threaded SIMD binary, src/worker/engine/wasm-kernels/threads.ts)
 *
 * Method: operands are random normal; b is cloned before every timed call (outside the timer) so
 * the stock XNNPACK operator cache, keyed on b's tensor id, never serves a packed copy — in
 * training every weight is new each step and every gradient operand is new each call. One
 * untimed warm-up call per kernel, then stock and routed calls alternate until each has
 * `--budget-ms` of samples (at least 3, at most 30); the table gives the medians.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';
import {
  registerFastBatchMatMul,
  unregisterFastBatchMatMul,
} from '../src/worker/engine/wasm-kernels/batch-mat-mul.ts';
import { setWasmBackendThreaded } from '../src/worker/engine/wasm-kernels/threads.ts';

const { values: options } = parseArgs({
  options: {
    filter: { type: 'string', default: '' },
    'budget-ms': { type: 'string', default: '2000' },
    out: { type: 'string', default: 'bench/results/matmul.json' },
    threads: { type: 'string', default: '1' },
  },
});
const budgetMs = Number(options['budget-ms']);
const threads = Number(options.threads);

interface Product {
  /** Which product of the train step it is. */
  readonly name: string;
  readonly a: number[];
  readonly b: number[];
  readonly transposeA: boolean;
  readonly transposeB: boolean;
}

const ROWS = 512; // B·T

/** y = x W with W [k, n]: forward, input gradient dY Wᵀ, weight gradient xᵀ dY. */
function linear(name: string, k: number, n: number): Product[] {
  return [
    { name: `${name} fwd x·W`, a: [ROWS, k], b: [k, n], transposeA: false, transposeB: false },
    { name: `${name} dX dY·Wᵀ`, a: [ROWS, n], b: [k, n], transposeA: false, transposeB: true },
    { name: `${name} dW xᵀ·dY`, a: [ROWS, k], b: [ROWS, n], transposeA: true, transposeB: false },
  ];
}

/** Tied LM head, logits = x wteᵀ with wte [V, C] (GPT-2): forward and both gradients. */
function tiedHead(c: number, vocab: number): Product[] {
  return [
    {
      name: 'lm_head tied fwd x·wteᵀ',
      a: [ROWS, c],
      b: [vocab, c],
      transposeA: false,
      transposeB: true,
    },
    {
      name: 'lm_head tied dX dZ·wte',
      a: [ROWS, vocab],
      b: [vocab, c],
      transposeA: false,
      transposeB: false,
    },
    {
      name: 'lm_head tied dW dZᵀ·x',
      a: [ROWS, vocab],
      b: [ROWS, c],
      transposeA: true,
      transposeB: false,
    },
  ];
}

/** (32, 128, 32)·(32, 32, 128) and (32, 128, 128)·(32, 128, 32) in each transpose layout. */
function attention(): Product[] {
  const out: Product[] = [];
  const bh = 32;
  for (const [m, k, n, label] of [
    [128, 32, 128, 'scores (32,128,32)·(32,32,128)'],
    [128, 128, 32, 'context (32,128,128)·(32,128,32)'],
  ] as const) {
    for (const [tA, tB] of [
      [false, false],
      [false, true],
      [true, false],
      [true, true],
    ] as const) {
      out.push({
        name: `attn ${label}`,
        a: tA ? [bh, k, m] : [bh, m, k],
        b: tB ? [bh, n, k] : [bh, k, n],
        transposeA: tA,
        transposeB: tB,
      });
    }
  }
  return out;
}

const PRODUCTS: Product[] = [
  ...linear('attn.c_attn 256→768', 256, 768),
  ...linear('attn.c_proj 256→256', 256, 256),
  ...linear('mlp.c_fc 256→1024', 256, 1024),
  ...linear('mlp.c_proj 1024→256', 1024, 256),
  ...linear('lm_head W 256→8192', 256, 8192),
  ...tiedHead(256, 8192),
  ...attention(),
  {
    name: '(4,128,256)·(256,768) batched x, 2-D W',
    a: [4, 128, 256],
    b: [256, 768],
    transposeA: false,
    transposeB: false,
  },
];

function flops(p: Product): number {
  const m = p.transposeA ? p.a.at(-1)! : p.a.at(-2)!;
  const k = p.transposeA ? p.a.at(-2)! : p.a.at(-1)!;
  const n = p.transposeB ? p.b.at(-2)! : p.b.at(-1)!;
  const batch = Math.max(
    p.a.slice(0, -2).reduce((x, y) => x * y, 1),
    p.b.slice(0, -2).reduce((x, y) => x * y, 1),
  );
  return 2 * batch * m * k * n;
}

const median = (xs: number[]): number => {
  const s = [...xs].sort((x, y) => x - y);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

type Variant = 'stock' | 'routed';

function timeOnce(variant: Variant, a: tf.Tensor, b: tf.Tensor, p: Product): number {
  if (variant === 'routed') registerFastBatchMatMul();
  else unregisterFastBatchMatMul();
  const fresh = b.clone();
  const start = performance.now();
  const y = tf.matMul(a, fresh, p.transposeA, p.transposeB); // wasm kernels run synchronously
  const ms = performance.now() - start;
  tf.dispose([y, fresh]);
  return ms;
}

interface Result {
  readonly product: string;
  readonly a: number[];
  readonly b: number[];
  readonly transposeA: boolean;
  readonly transposeB: boolean;
  readonly gflop: number;
  readonly stock: { medianMs: number; gflops: number; reps: number };
  readonly routed: { medianMs: number; gflops: number; reps: number };
  readonly speedup: number;
}

function measure(p: Product): Result {
  const a = tf.randomNormal(p.a);
  const b = tf.randomNormal(p.b);
  const samples: Record<Variant, number[]> = { stock: [], routed: [] };
  const spent: Record<Variant, number> = { stock: 0, routed: 0 };
  const variants: Variant[] = ['stock', 'routed'];
  for (const v of variants) timeOnce(v, a, b, p); // warm-up
  for (let rep = 0; ; rep++) {
    const open = variants.filter(
      (v) => samples[v].length < 3 || (spent[v] < budgetMs && samples[v].length < 30),
    );
    if (open.length === 0) break;
    // Alternate which goes first, so drift from other load on the machine hits both alike.
    for (const v of rep % 2 ? [...open].reverse() : open) {
      const ms = timeOnce(v, a, b, p);
      samples[v].push(ms);
      spent[v] += ms;
    }
  }
  tf.dispose([a, b]);
  const gflop = flops(p) / 1e9;
  const summary = (v: Variant): Result['stock'] => {
    const ms = median(samples[v]);
    return { medianMs: ms, gflops: gflop / (ms / 1e3), reps: samples[v].length };
  };
  const stock = summary('stock');
  const routed = summary('routed');
  return {
    product: p.name,
    a: p.a,
    b: p.b,
    transposeA: p.transposeA,
    transposeB: p.transposeB,
    gflop,
    stock,
    routed,
    speedup: stock.medianMs / routed.medianMs,
  };
}

const threadsUsed = threads > 1 ? await setWasmBackendThreaded(threads) : 1;
if (threads <= 1) await tf.setBackend('wasm');
console.log(
  `tfjs ${tf.version_core}, wasm backend, ${threadsUsed} thread(s), Node ${process.version}, ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'})`,
);
console.log(
  `b cloned before each call; warm-up 1; stock/routed alternated; ≥3 reps, ≤30, ${budgetMs} ms budget each; medians\n`,
);
const header = [
  'product',
  'a',
  'b',
  'tA',
  'tB',
  'stock ms',
  'stock GFLOP/s',
  'routed ms',
  'routed GFLOP/s',
  'speed-up',
];
console.log(header.join(' | '));
const results: Result[] = [];
for (const p of PRODUCTS.filter((q) => q.name.includes(options.filter!))) {
  const r = measure(p);
  results.push(r);
  console.log(
    [
      r.product,
      `(${r.a.join(',')})`,
      `(${r.b.join(',')})`,
      r.transposeA ? 'T' : '-',
      r.transposeB ? 'T' : '-',
      r.stock.medianMs.toFixed(2),
      r.stock.gflops.toFixed(2),
      r.routed.medianMs.toFixed(2),
      r.routed.gflops.toFixed(2),
      `${r.speedup.toFixed(1)}×`,
    ].join(' | '),
  );
}
const totalStock = results.reduce((s, r) => s + r.stock.medianMs, 0);
const totalRouted = results.reduce((s, r) => s + r.routed.medianMs, 0);
console.log(
  `\nsum of medians: stock ${totalStock.toFixed(1)} ms, routed ${totalRouted.toFixed(1)} ms`,
);
unregisterFastBatchMatMul();

const report = {
  bench: 'wasm BatchMatMul',
  date: new Date().toISOString(),
  node: process.version,
  tfjs: tf.version_core,
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model,
  threads: threadsUsed,
  method: { budgetMs, minReps: 3, maxReps: 30, warmUp: 1, freshB: true, statistic: 'median' },
  results,
};
mkdirSync(dirname(options.out!), { recursive: true });
writeFileSync(options.out!, `${JSON.stringify(report, null, 2)}\n`);
console.log(`wrote ${options.out}`);
