import { InspectReport } from '../../shared/contracts.ts';
import { inspectModel } from '../../worker/tasks/inspect.ts';
import type { Command } from '../command.ts';

export const inspect: Command = {
  name: 'inspect',
  usage: 'inspect <model>',
  summary: 'architecture, parameters, dtype, sparsity and sha256 of a Hugging Face model folder',
  options: {},
  positionals: 1,
  async run({ positionals, print }) {
    const report = InspectReport.parse(await inspectModel(positionals[0]!));
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
