import { InspectReport } from '../../shared/contracts.ts';
import type { Command } from '../command.ts';
import { checkModelFolder } from '../model-check.ts';
import { runInWorker } from '../worker.ts';

export const inspect: Command = {
  name: 'inspect',
  usage: 'inspect <model>',
  summary: 'architecture, parameters, dtype, sparsity and sha256 of a Hugging Face model folder',
  options: {},
  positionals: 1,
  async run({ positionals, progress, print }) {
    checkModelFolder(positionals[0]!); // a broken folder exits 2 before a worker starts
    const report = InspectReport.parse(
      await runInWorker('inspect', { model: positionals[0]! }, progress),
    );
    print(
      report,
      [
        `architecture  ${report.architecture}`,
        `parameters    ${report.parameters.toLocaleString('en-US')}`,
        `layers        ${report.layers}`,
        `hidden        ${report.hidden}`,
        `vocab         ${report.vocab}`,
        `dtype         ${report.dtype}`,
        `sparsity      ${(100 * report.sparsity).toFixed(2)}%`,
        `sha256        ${report.sha256}`,
      ].join('\n'),
    );
  },
};
