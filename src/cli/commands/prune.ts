import type { PruneReport } from '../../shared/contracts.ts';
import { readPruneInputs, type PruneRequest } from '../../worker/tasks/prune.ts';
import type { Command } from '../command.ts';
import { optionalString, requiredString } from '../options.ts';
import { runInWorker } from '../worker.ts';

export const prune: Command = {
  name: 'prune',
  usage:
    'prune <model> --method magnitude|wanda [--sparsity 0.5 | --pattern 2:4] [--calib <path>] --out <dir>',
  summary: "zero a fraction (or N:M pattern) of the blocks' linear weights; write the sparse model",
  options: {
    method: { type: 'string' },
    sparsity: { type: 'string' },
    pattern: { type: 'string' },
    calib: { type: 'string' },
    out: { type: 'string' },
  },
  positionals: 1,
  async run({ positionals, values, global, progress, print }) {
    const request: PruneRequest = {
      model: positionals[0]!,
      method: requiredString(values, 'method'),
      sparsity: optionalString(values, 'sparsity'),
      pattern: optionalString(values, 'pattern'),
      calib: optionalString(values, 'calib'),
      out: requiredString(values, 'out'),
    };
    await readPruneInputs(request); // bad input exits 2 before a worker starts
    const defined = Object.fromEntries(Object.entries(request).filter(([, v]) => v !== undefined));
    // The worker notes an unused --calib itself.
    const report = await runInWorker(
      'prune',
      { ...(defined as PruneRequest), backend: global.backend, seed: global.seed },
      progress,
    );
    print(report, humanText(report));
  },
};

function humanText(report: PruneReport): string {
  const pct = (x: number) => `${(100 * x).toFixed(2)}%`;
  return [
    `${report.method} ${report.pattern ?? pct(report.target)} → ${report.out}`,
    ...report.layers.map((l) => `  ${l.name}  ${pct(l.sparsity)}`),
    `sparsity  ${pct(report.sparsity)}  (${report.seconds.toFixed(1)} s)`,
    `sha256    ${report.sha256}`,
  ].join('\n');
}
