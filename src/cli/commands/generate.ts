import { GenerateReport } from '../../shared/contracts.ts';
import { greedyGenerate } from '../../worker/model/generate.ts';
import type { Command } from '../command.ts';
import { loadModelAndTokenizer, startEngine } from '../engine.ts';
import { positiveInteger, requiredString } from '../options.ts';

export const generate: Command = {
  name: 'generate',
  usage: 'generate <model> --prompt <text> [--max-new-tokens N]',
  summary: 'greedy continuation of a prompt',
  options: { prompt: { type: 'string' }, 'max-new-tokens': { type: 'string' } },
  positionals: 1,
  async run({ positionals, values, global, progress, print }) {
    const prompt = requiredString(values, 'prompt');
    const maxNewTokens = positiveInteger(values, 'max-new-tokens', 32);
    await startEngine(global, progress);
    const { model, tokenizer } = await loadModelAndTokenizer(positionals[0]!, progress);
    try {
      const promptIds = tokenizer.encode(prompt);
      const stop = tokenizer.eosId === null ? [] : [tokenizer.eosId];
      const tokenIds = await greedyGenerate(model, promptIds, maxNewTokens, stop);
      const text = tokenizer.decode(tokenIds);
      print(GenerateReport.parse({ promptIds, tokenIds, text }), `${prompt}${text}`);
    } finally {
      model.dispose();
    }
  },
};
