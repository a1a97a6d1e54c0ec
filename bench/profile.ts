/**
 * Per-kernel time of any tfjs closure, and (run directly) of one GradDiff train step on wasm
 * with the stock BatchMatMul and with the routed one (src/worker/engine/wasm-kernels/batch-mat-mul.ts).
 *
 *   node --import tsx bench/profile.ts [--shape cpu-small] [--steps 3]
 *     [--threads 1] [--cpu-threads N]
 *     [--variants stock,routed,native] [--phase train|eval] [--detail]
 *     [--out bench/results/profile.json]
 *
 * `profileKernels(run)` re-registers every kernel of the active backend with a timing wrapper for
 * the duration of `run`, then restores the originals. Time is self time: a kernel that calls
 * another through the registry (the routed BatchMatMul calls Transpose) is charged without it.
 * Kernels run synchronously on wasm and cpu, so wall-clock time around the kernel function is
 * its cost; on webgpu it would only be the time to enqueue (use tf.profile there). What is not
 * inside any kernel — autodiff bookkeeping, tensor objects, the optimizer's JS — is reported as
 * "(outside kernels)".
 */
import { writeFileSync, mkdirSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import * as tf from '@tensorflow/tfjs';
import '@tensorflow/tfjs-backend-wasm';

export interface KernelStat {
  readonly kernel: string;
  /** Self time, ms. */
  readonly ms: number;
  readonly calls: number;
  /** Share of the closure's wall time, %. */
  readonly percent: number;
}

export interface KernelProfile<T> {
  readonly result: T;
  readonly wallMs: number;
  /** Sorted by time, descending; includes an "(outside kernels)" row. */
  readonly kernels: KernelStat[];
}

type KeyOf = (kernelName: string, inputs: tf.NamedTensorInfoMap, attrs: tf.NamedAttrMap) => string;

/** Splits matrix products by shapes and transposes; every other kernel by name. */
export const productDetail: KeyOf = (name, inputs, attrs) => {
  const shaped = ['BatchMatMul', '_FusedMatMul', 'Transpose', 'Add', 'Multiply', 'Sub', 'RealDiv'];
  if (!shaped.includes(name)) return name;
  const shapes = Object.values(inputs)
    .filter((t): t is tf.TensorInfo => t != null)
    .map((t) => `(${t.shape.join(',')})`)
    .join('·');
  if (!name.includes('MatMul')) return `${name} ${shapes}`;
  const flags = `${attrs.transposeA ? 'T' : '-'}${attrs.transposeB ? 'T' : '-'}`;
  return `${name} ${flags} ${shapes}`;
};

/** Runs `run` with every kernel of `backendName` timed; see the file comment. */
export async function profileKernels<T>(
  run: () => T | Promise<T>,
  options: { backendName?: string; keyOf?: KeyOf } = {},
): Promise<KernelProfile<T>> {
  const backendName = options.backendName ?? tf.getBackend();
  const keyOf = options.keyOf ?? ((name: string) => name);
  const stats = new Map<string, { ms: number; calls: number }>();
  const childMs: number[] = []; // one accumulator per kernel on the call stack
  let topLevelMs = 0;
  const originals = tf.getKernelsForBackend(backendName);
  for (const config of originals) {
    const kernelFunc: tf.KernelFunc = (args) => {
      childMs.push(0);
      const start = performance.now();
      try {
        return config.kernelFunc(args);
      } finally {
        const total = performance.now() - start;
        const self = total - childMs.pop()!;
        if (childMs.length > 0) childMs[childMs.length - 1]! += total;
        else topLevelMs += total;
        const key = keyOf(config.kernelName, args.inputs, args.attrs ?? {});
        const stat = stats.get(key) ?? { ms: 0, calls: 0 };
        stat.ms += self;
        stat.calls += 1;
        stats.set(key, stat);
      }
    };
    tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel({ ...config, kernelFunc });
  }
  const start = performance.now();
  let result: T;
  try {
    result = await run();
  } finally {
    for (const config of originals) {
      tf.unregisterKernel(config.kernelName, backendName);
      tf.registerKernel(config);
    }
  }
  const wallMs = performance.now() - start;
  const rows = [...stats].map(([kernel, s]) => ({ kernel, ms: s.ms, calls: s.calls }));
  rows.push({ kernel: '(outside kernels)', ms: wallMs - topLevelMs, calls: 0 });
  const kernels = rows
    .map((r) => ({ ...r, percent: (100 * r.ms) / wallMs }))
    .sort((x, y) => y.ms - x.ms);
  return { result, wallMs, kernels };
}

/** A fixed-width table of `profile`, per step when `steps` > 1. */
export function formatProfile(profile: KernelProfile<unknown>, steps = 1, limit = 25): string {
  const lines = [
    `${'kernel'.padEnd(56)} ${'ms/step'.padStart(9)} ${'calls/step'.padStart(10)} ${'%'.padStart(6)}`,
  ];
  const shown = profile.kernels.slice(0, limit);
  for (const k of shown) {
    lines.push(
      `${k.kernel.slice(0, 56).padEnd(56)} ${(k.ms / steps).toFixed(1).padStart(9)} ` +
        `${(k.calls / steps).toFixed(0).padStart(10)} ${k.percent.toFixed(1).padStart(6)}`,
    );
  }
  const rest = profile.kernels.slice(limit);
  if (rest.length > 0) {
    const ms = rest.reduce((s, k) => s + k.ms, 0);
    const pct = rest.reduce((s, k) => s + k.percent, 0);
    lines.push(
      `${`(${rest.length} more)`.padEnd(56)} ${(ms / steps).toFixed(1).padStart(9)} ${''.padStart(10)} ${pct.toFixed(1).padStart(6)}`,
    );
  }
  lines.push(`${'total (wall)'.padEnd(56)} ${(profile.wallMs / steps).toFixed(1).padStart(9)}`);
  return lines.join('\n');
}

async function main(): Promise<void> {
  const { values: options } = parseArgs({
    options: {
      shape: { type: 'string', default: 'cpu-small' },
      steps: { type: 'string', default: '3' },
      threads: { type: 'string', default: '1' },
      'cpu-threads': { type: 'string', default: String(cpus().length) },
      phase: { type: 'string', default: 'train' },
      variants: { type: 'string', default: 'stock,routed' },
      detail: { type: 'boolean', default: false },
      out: { type: 'string', default: 'bench/results/profile.json' },
    },
  });
  const { registerFastBatchMatMul, unregisterFastBatchMatMul } =
    await import('../src/worker/engine/wasm-kernels/batch-mat-mul.ts');
  const { registerWasmKernels, useNativeKernels } =
    await import('../src/worker/engine/wasm-kernels/index.ts');
  const { loadNativeAddon } = await import('../src/worker/engine/native/addon.ts');
  const { setWasmBackendThreaded } = await import('../src/worker/engine/wasm-kernels/threads.ts');
  const { benchSpec, gradDiffStep, requireBenchShape } =
    await import('../src/worker/tasks/bench.ts');
  const { createRandomModel } = await import('../src/worker/model/architectures/index.ts');
  const { AdamW } = await import('../src/worker/unlearn/optim/adamw.ts');

  const threads = Number(options.threads);
  const steps = Number(options.steps);
  const shape = requireBenchShape(options.shape!);
  const spec = benchSpec(shape); // GPT-2 layout, tied head, as the PyTorch peer
  registerWasmKernels(); // kernels wasm lacks (UnsortedSegmentSum for the embedding gradient)
  const threadsUsed = threads > 1 ? await setWasmBackendThreaded(threads) : 1;
  if (threads <= 1) await tf.setBackend('wasm');
  const tokensPerStep = 2 * shape.batch * shape.seq; // forget + retain batch
  console.log(
    `GradDiff step, ${options.shape} (${JSON.stringify(shape)}), GPT-2, wasm ${threadsUsed} thread(s), ` +
      `Node ${process.version}, ${cpus().length} CPUs; ${steps} timed steps after 1 warm-up, then ${steps} profiled`,
  );

  const runs = [];
  for (const variant of options.variants!.split(',')) {
    useNativeKernels(null);
    if (variant === 'routed') registerFastBatchMatMul();
    else if (variant === 'stock') unregisterFastBatchMatMul();
    else if (variant === 'native') {
      const native = loadNativeAddon(Number(options['cpu-threads']));
      if (!native.ok) throw new Error(native.reason);
      registerFastBatchMatMul();
      useNativeKernels(native.addon);
    } else throw new Error(`unknown variant "${variant}"; known: stock, routed, native`);
    const model = createRandomModel(spec, 1);
    const optimizer = new AdamW({ lr: 1e-5, weightDecay: 0.01 });
    let seed = 1;
    const ids = (): tf.Tensor2D =>
      tf.randomUniform([shape.batch, shape.seq], 0, shape.vocab, 'int32', seed++) as tf.Tensor2D;
    const evalIds = tf.randomUniform([2 * shape.batch, shape.seq], 0, shape.vocab, 'int32', 7);
    const forward = async (): Promise<number> => {
      const logits = model.logits(evalIds as tf.Tensor2D);
      const last = logits.slice([0, 0, 0], [1, 1, 1]); // as the bench: wait, do not copy out
      await last.data();
      tf.dispose([logits, last]);
      return 0;
    };
    const step = (): Promise<number> =>
      options.phase === 'eval'
        ? forward()
        : gradDiffStep(model, optimizer, ids(), ids()).then((s) => s.loss);
    await step(); // warm-up
    const tensorsBefore = tf.memory().numTensors;
    const start = performance.now();
    for (let i = 0; i < steps; i++) await step();
    const stepMs = (performance.now() - start) / steps;
    const profile = await profileKernels(
      async () => {
        for (let i = 0; i < steps; i++) await step();
      },
      { keyOf: options.detail ? productDetail : undefined },
    );
    const leaked = tf.memory().numTensors - tensorsBefore;
    optimizer.dispose();
    evalIds.dispose();
    model.dispose();
    const trainTokensPerSecond = tokensPerStep / (stepMs / 1e3);
    console.log(
      `\n## ${variant} BatchMatMul: ${stepMs.toFixed(0)} ms/step, ${trainTokensPerSecond.toFixed(1)} ${options.phase} tok/s` +
        (leaked ? ` (${leaked} tensors leaked)` : ''),
    );
    console.log(formatProfile(profile, steps));
    runs.push({
      variant,
      stepMs,
      trainTokensPerSecond,
      profiledStepMs: profile.wallMs / steps,
      kernels: profile.kernels.map((k) => ({
        ...k,
        msPerStep: k.ms / steps,
        callsPerStep: k.calls / steps,
      })),
    });
  }
  unregisterFastBatchMatMul();
  const report = {
    bench:
      options.phase === 'eval' ? 'forward (eval) kernel profile' : 'GradDiff step kernel profile',
    date: new Date().toISOString(),
    node: process.version,
    tfjs: tf.version_core,
    cpus: cpus().length,
    threads: threadsUsed,
    shape: options.shape,
    family: 'gpt2',
    steps,
    tokensPerStep,
    runs,
  };
  mkdirSync(dirname(options.out!), { recursive: true });
  writeFileSync(options.out!, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`\nwrote ${options.out}`);
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? '').href) await main();
