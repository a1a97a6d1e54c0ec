import { ScoreReport } from '../../shared/contracts.ts';
import { readDocuments } from '../../worker/data/documents.ts';
import type { Command } from '../command.ts';
import { positiveInteger, requiredString } from '../options.ts';
import { checkModelFolder } from '../model-check.ts';
import { runInWorker } from '../worker.ts';

export const score: Command = {
  name: 'score',
  usage: 'score <model> --data <file|folder> [--max-length N]',
  summary: 'per-token log-probabilities of documents under the model',
  options: { data: { type: 'string' }, 'max-length': { type: 'string' } },
  positionals: 1,
  async run({ positionals, values, global, progress, print }) {
    const data = requiredString(values, 'data');
    // Bad documents exit 2 before a worker starts.
    await readDocuments(data, {
      onProgress: (label, done, total) => progress.step(label, done, total),
    });
    checkModelFolder(positionals[0]!, { tokenizer: true });
    const maxLength =
      values['max-length'] === undefined ? undefined : positiveInteger(values, 'max-length');
    const report = ScoreReport.parse(
      await runInWorker(
        'score',
        {
          model: positionals[0]!,
          data,
          ...(maxLength === undefined ? {} : { maxLength }),
          backend: global.backend,
          seed: global.seed,
        },
        progress,
      ),
    );
    print(
      report,
      report.documents
        .map(
          (d) => `${d.id}\t${d.tokenIds.length} tokens\tmean NLL ${d.meanNll?.toFixed(4) ?? '—'}`,
        )
        .join('\n'),
    );
  },
};
