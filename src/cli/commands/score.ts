import { ScoreReport } from '../../shared/contracts.ts';
import { readDocuments } from '../../worker/data/documents.ts';
import { scoreDocuments } from '../../worker/tasks/score.ts';
import type { Command } from '../command.ts';
import { loadModelAndTokenizer, startEngine } from '../engine.ts';
import { positiveInteger, requiredString } from '../options.ts';

export const score: Command = {
  name: 'score',
  usage: 'score <model> --data <file|folder> [--max-length N]',
  summary: 'per-token log-probabilities of documents under the model',
  options: { data: { type: 'string' }, 'max-length': { type: 'string' } },
  positionals: 1,
  async run({ positionals, values, global, progress, print }) {
    const documents = await readDocuments(requiredString(values, 'data'));
    const maxLength =
      values['max-length'] === undefined ? undefined : positiveInteger(values, 'max-length');
    await startEngine(global, progress);
    const { model, tokenizer } = await loadModelAndTokenizer(positionals[0]!, progress);
    try {
      const scored = await scoreDocuments(model, tokenizer, documents, {
        maxLength,
        onProgress: (done, total) => progress.step('scoring', done, total),
      });
      const report = ScoreReport.parse({ documents: scored });
      print(
        report,
        scored
          .map(
            (d) => `${d.id}\t${d.tokenIds.length} tokens\tmean NLL ${d.meanNll?.toFixed(4) ?? '—'}`,
          )
          .join('\n'),
      );
    } finally {
      model.dispose();
    }
  },
};
