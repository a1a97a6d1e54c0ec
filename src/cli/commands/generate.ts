import { GenerateReport } from '../../shared/contracts.ts';
import type { Command } from '../command.ts';
import { positiveInteger, requiredString } from '../options.ts';
import { checkModelFolder } from '../model-check.ts';
import { runInWorker } from '../worker.ts';

export const generate: Command = {
  name: 'generate',
  usage: 'generate <model> --prompt <text> [--max-new-tokens N]',
  summary: 'greedy continuation of a prompt',
  options: { prompt: { type: 'string' }, 'max-new-tokens': { type: 'string' } },
  positionals: 1,
  async run({ positionals, values, global, progress, print }) {
    const prompt = requiredString(values, 'prompt');
    const maxNewTokens = positiveInteger(values, 'max-new-tokens', 32);
    checkModelFolder(positionals[0]!, { tokenizer: true }); // exits 2 before a worker starts
    const report = GenerateReport.parse(
      await runInWorker(
        'generate',
        {
          model: positionals[0]!,
          prompt,
          maxNewTokens,
          backend: global.backend,
          seed: global.seed,
        },
        progress,
      ),
    );
    print(report, `${prompt}${report.text}`);
  },
};
