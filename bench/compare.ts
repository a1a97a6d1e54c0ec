/**
 * `npm run bench`: our engine and the PyTorch eager peer (bench/torch_peer.py, a copy of the
 * project's shared peer) on the same shape, in the same run, side by side with ratios. Engines
 * run in alternating rounds (one process each) and the table reports medians, because a shared
 * 2-core machine is noisy.
 *
 *   node --import tsx bench/compare.ts [--shape cpu-small] [--steps 5] [--rounds 3]
 *     [--engines torch:2,torch:1:2,torch:1,native:2,native:1,wasm:1,wasm:2,cpu:1] [--device cpu|cuda]
 *     [--out file.json]
 *
 * An engine is `torch:<torch threads>[:<OpenBLAS threads, default 1>]`; ours are `native:<BLAS threads>` (wasm + the native kernels,
 * native/), `wasm:<XNNPACK threads>` (the portable wasm backend alone), `cpu:1`, `webgpu:1`.
 * `cpu` (the plain-JS reference backend) runs a single step: it is two orders slower.
 */
import { spawnSync } from 'node:child_process';
import { openBlasCoreType } from './openblas-core.ts';
import { writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    shape: { type: 'string', default: 'cpu-small' },
    steps: { type: 'string', default: '5' },
    rounds: { type: 'string', default: '3' },
    engines: {
      type: 'string',
      default: 'torch:2,torch:1:2,torch:1,native:2,native:1,wasm:1,wasm:2',
    },
    device: { type: 'string', default: 'cpu' },
    python: { type: 'string', default: '/usr/bin/python3' },
    out: { type: 'string' },
  },
});

interface Sample {
  readonly train: number;
  readonly eval: number;
  readonly label: string;
}

function runJson(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv = {},
): Record<string, unknown> {
  const result = spawnSync(command, args, {
    cwd: root,
    encoding: 'utf8',
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  if (result.status !== 0)
    throw new Error(`${command} ${args.join(' ')} exited ${result.status}: ${result.stderr}`);
  return JSON.parse(result.stdout.trim().split('\n').at(-1)!) as Record<string, unknown>;
}

/** The addon's OpenBLAS kernel choice, given to the peer too (bench/openblas-core.ts). */
const coreType: NodeJS.ProcessEnv = ((type) => (type ? { OPENBLAS_CORETYPE: type } : {}))(
  openBlasCoreType(),
);

function runEngine(engine: string): Sample {
  const [name, threads = '1', blasThreads = '1'] = engine.split(':');
  if (name === 'torch') {
    // OpenBLAS starts its own pool beside torch's intra-op threads: on 2 cores that is 4 busy
    // threads and halves PyTorch's speed (measured: 845 vs 1,513 train tok/s). So either torch's
    // threads with one BLAS thread (torch:2), or one torch thread with BLAS's pool (torch:1:2,
    // the faster eval); the ratios take the best of each column.
    const peer = runJson(
      values.python!,
      [
        'bench/torch_peer.py',
        '--shape',
        values.shape!,
        '--steps',
        values.steps!,
        '--threads',
        threads,
        '--device',
        values.device!,
      ],
      { OPENBLAS_NUM_THREADS: blasThreads, ...coreType },
    );
    return {
      train: Number(peer.trainTokensPerSecond),
      eval: Number(peer.evalTokensPerSecond),
      label:
        `PyTorch ${String(peer.version)} eager, ${String(peer.device)}, ${String(peer.threads)} thread(s)` +
        (values.device === 'cpu' ? `, OpenBLAS ${blasThreads} thread(s)` : ''),
    };
  }
  const steps = name === 'cpu' ? '1' : values.steps!;
  // `native:N` is the wasm backend with the native kernels on N BLAS threads (`--backend wasm`
  // with the addon built: auto's choice at this shape, where the native backend is slower;
  // bench/RESULTS.md "auto at small shapes"); `wasm:N` is the portable wasm backend alone.
  const native = name === 'native';
  const env: NodeJS.ProcessEnv = native
    ? { NEPENTHE_CPU_THREADS: threads, NEPENTHE_WASM_THREADS: '1' }
    : { NEPENTHE_NATIVE_ADDON: 'off', NEPENTHE_WASM_THREADS: threads };
  const ours = runJson(
    process.execPath,
    [
      'bin/nepenthe.mjs',
      'bench',
      '--shape',
      values.shape!,
      '--steps',
      steps,
      '--backend',
      native ? 'wasm' : name!,
      '--json',
    ],
    env,
  );
  const detail =
    name === 'wasm'
      ? ` (portable, native kernels off), ${threads} XNNPACK thread(s)`
      : native
        ? ` + native kernels, ${threads} BLAS thread(s)`
        : '';
  return {
    train: Number(ours.trainTokensPerSecond),
    eval: Number(ours.evalTokensPerSecond),
    label: `Nepenthe ${String(ours.backend)}${detail}`,
  };
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
const engines = values.engines!.split(',');
const samples = new Map<string, Sample[]>(engines.map((e) => [e, []]));
const rounds = Number(values.rounds);
for (let round = 0; round < rounds; round++) {
  for (const engine of engines) {
    if (engine.startsWith('cpu') && round > 0) continue; // one round of the slow reference is enough
    const sample = runEngine(engine);
    samples.get(engine)!.push(sample);
    process.stderr.write(
      `round ${round + 1}/${rounds} ${engine}: train ${sample.train} eval ${sample.eval}\n`,
    );
  }
}

const rows = engines.map((engine) => {
  const s = samples.get(engine)!;
  return {
    engine,
    label: s[0]!.label,
    train: median(s.map((x) => x.train)),
    eval: median(s.map((x) => x.eval)),
    runs: s.length,
  };
});
// Ratios against the fastest PyTorch configuration measured, per column (the conservative
// comparison: PyTorch's best train and best eval may come from different thread settings).
const peers = rows.filter((r) => r.engine.startsWith('torch'));
const pool = peers.length > 0 ? peers : rows;
const peer = pool.reduce((a, b) => (b.train > a.train ? b : a));
const evalPeer = pool.reduce((a, b) => (b.eval > a.eval ? b : a));
const table = [
  `shape ${values.shape}; ${values.steps} steps per run; medians of ${rounds} alternating rounds; ${cpus().length} CPUs`,
  `train ratios against ${peer.label}; eval ratios against ${evalPeer.label}`,
  '',
  '| engine | train tok/s | × PyTorch | eval tok/s | × PyTorch | runs |',
  '|---|---:|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.label} | ${r.train.toFixed(1)} | ${(r.train / peer.train).toFixed(3)} | ${r.eval.toFixed(1)} | ${(r.eval / evalPeer.eval).toFixed(3)} | ${r.runs} |`,
  ),
].join('\n');
process.stdout.write(`${table}\n`);
if (values.out)
  writeFileSync(
    values.out,
    `${JSON.stringify({ shape: values.shape, steps: Number(values.steps), rounds, rows, samples: Object.fromEntries(samples) }, null, 2)}\n`,
  );
