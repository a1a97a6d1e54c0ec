/**
 * `npm run bench`: our engine and the PyTorch eager peer (bench/torch_peer.py, a copy of the
 * project's shared peer) on the same shape, in the same run, printed side by side with ratios.
 *
 *   node --import tsx bench/compare.ts [--shape cpu-small] [--steps 5] [--backends wasm,cpu]
 *     [--threads 2] [--device cpu|cuda] [--out bench/last.json]
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    shape: { type: 'string', default: 'cpu-small' },
    steps: { type: 'string', default: '5' },
    backends: { type: 'string', default: 'wasm,cpu' },
    threads: { type: 'string', default: '2' },
    device: { type: 'string', default: 'cpu' },
    python: { type: 'string', default: '/usr/bin/python3' },
    out: { type: 'string' },
  },
});

interface Row {
  readonly engine: string;
  readonly trainTokensPerSecond: number;
  readonly evalTokensPerSecond: number;
}

function runJson(command: string, args: string[]): Record<string, unknown> {
  const result = spawnSync(command, args, {
    cwd: root,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  if (result.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${result.status}`);
  const lastLine = result.stdout.trim().split('\n').at(-1)!;
  return JSON.parse(lastLine) as Record<string, unknown>;
}

const rows: Row[] = [];
const peer = runJson(values.python!, [
  'bench/torch_peer.py',
  '--shape',
  values.shape!,
  '--steps',
  values.steps!,
  '--threads',
  values.threads!,
  '--device',
  values.device!,
]);
rows.push({
  engine: `pytorch ${String(peer.version)} (${String(peer.device)}, ${String(peer.threads)} threads)`,
  trainTokensPerSecond: Number(peer.trainTokensPerSecond),
  evalTokensPerSecond: Number(peer.evalTokensPerSecond),
});
for (const backend of values.backends!.split(',')) {
  const ours = runJson(process.execPath, [
    'bin/nepenthe.mjs',
    'bench',
    '--shape',
    values.shape!,
    '--steps',
    values.steps!,
    '--backend',
    backend,
    '--json',
  ]);
  rows.push({
    engine: `nepenthe ${String(ours.backend)}`,
    trainTokensPerSecond: Number(ours.trainTokensPerSecond),
    evalTokensPerSecond: Number(ours.evalTokensPerSecond),
  });
}

const base = rows[0]!;
const table = [
  `shape ${values.shape}, ${values.steps} steps (train = GradDiff step: forget + retain batch, AdamW)`,
  '| engine | train tok/s | × PyTorch | eval tok/s | × PyTorch |',
  '|---|---:|---:|---:|---:|',
  ...rows.map(
    (r) =>
      `| ${r.engine} | ${r.trainTokensPerSecond.toFixed(1)} | ${(r.trainTokensPerSecond / base.trainTokensPerSecond).toFixed(3)} | ` +
      `${r.evalTokensPerSecond.toFixed(1)} | ${(r.evalTokensPerSecond / base.evalTokensPerSecond).toFixed(3)} |`,
  ),
].join('\n');
process.stdout.write(`${table}\n`);
const json = JSON.stringify({ shape: values.shape, steps: Number(values.steps), rows }, null, 2);
if (values.out) writeFileSync(values.out, json);
process.stdout.write(`${json}\n`);
