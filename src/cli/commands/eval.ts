import { EvalReport } from '../../shared/contracts.ts';
import { UserInputError } from '../../shared/errors.ts';
import { readDocuments, readQaPairs, type Document } from '../../worker/data/documents.ts';
import { evaluateModel, type EvalInputs } from '../../worker/tasks/eval.ts';
import { hashFiles } from '../../worker/tasks/inspect.ts';
import type { Command } from '../command.ts';
import { loadModelAndTokenizer, startEngine } from '../engine.ts';
import { requiredString } from '../options.ts';

const optionalString = (values: Readonly<Record<string, unknown>>, name: string) => {
  const raw = values[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw === '')
    throw new UserInputError(undefined, `--${name} needs a value`);
  return raw;
};

export const evalCommand: Command = {
  name: 'eval',
  usage:
    'eval <model> --forget <path> [--retain <path>] [--holdout <path>] [--qa <jsonl>] [--reference <model>] [--names <a,b,...>]',
  summary: 'the metrics document: memorization, PII leakage, membership inference, forget quality',
  options: {
    forget: { type: 'string' },
    retain: { type: 'string' },
    holdout: { type: 'string' },
    qa: { type: 'string' },
    reference: { type: 'string' },
    names: { type: 'string' },
  },
  positionals: 1,
  async run({ positionals, values, global, progress, print }) {
    const forget = await readDocuments(requiredString(values, 'forget'));
    const sets: EvalInputs['sets'] & Record<string, readonly Document[]> = { forget };
    for (const name of ['retain', 'holdout'] as const) {
      const path = optionalString(values, name);
      if (path !== undefined) sets[name] = await readDocuments(path);
    }
    const qaPath = optionalString(values, 'qa');
    const qa = qaPath === undefined ? undefined : await readQaPairs(qaPath);
    const namesRaw = optionalString(values, 'names');
    const names = namesRaw
      ?.split(',')
      .map((n) => n.trim())
      .filter((n) => n !== '');
    const referencePath = optionalString(values, 'reference');

    await startEngine(global, progress);
    const loaded = await loadModelAndTokenizer(positionals[0]!, progress);
    let reference: Awaited<ReturnType<typeof loadModelAndTokenizer>> | undefined;
    try {
      if (referencePath !== undefined) {
        reference = await loadModelAndTokenizer(referencePath, progress);
      }
      const document = await evaluateModel(
        {
          model: {
            model: loaded.model,
            tokenizer: loaded.tokenizer,
            sha256: await hashFiles(loaded.checkpoint.files),
            architecture: loaded.spec.modelType,
          },
          sets,
          ...(qa === undefined ? {} : { qa }),
          ...(reference === undefined ? {} : { reference }),
          ...(names === undefined ? {} : { names }),
        },
        { onProgress: (label, done, total) => progress.step(label, done, total) },
      );
      const report = EvalReport.parse(document);
      print(report, humanText(report));
    } finally {
      loaded.model.dispose();
      reference?.model.dispose();
    }
  },
};

function humanText(report: EvalReport): string {
  const f = (x: number | null | undefined, digits = 4) =>
    x === null || x === undefined ? '—' : x.toFixed(digits);
  const lines = [`model  ${report.model.architecture}  ${report.model.sha256.slice(0, 12)}`];
  for (const name of ['forget', 'retain', 'holdout'] as const) {
    const set = report.sets[name];
    if (set === undefined) continue;
    lines.push(
      `${name.padEnd(8)} ${set.documents} docs  ${set.tokens} tokens  meanNll ${f(set.meanNll)}  ` +
        `verbatim exact ${f(set.verbatim.exactRate, 3)} rougeL ${f(set.verbatim.rougeL, 3)}  ` +
        `EM ${f(set.exactMemorization, 3)}  ES ${f(set.extractionStrength, 3)}` +
        (set.pii === undefined
          ? ''
          : `  pii ${set.pii.probes} probes leak ${f(set.pii.leakRate, 3)}`),
    );
  }
  if (report.knowledge !== undefined) {
    for (const name of ['forget', 'retain'] as const) {
      const k = report.knowledge[name];
      if (k !== undefined) lines.push(`knowledge ${name}: rougeL recall ${f(k.rougeL, 3)}`);
    }
  }
  if (report.mia !== undefined) {
    for (const attack of ['loss', 'zlib', 'minK', 'minKpp', 'reference'] as const) {
      const r = report.mia[attack];
      if (r !== undefined) lines.push(`mia ${attack.padEnd(9)} auc ${f(r.auc, 3)}`);
    }
  }
  lines.push(`privLeak ${f(report.privLeak, 2)}  forgetQuality ${f(report.forgetQuality)}`);
  for (const s of report.skipped) lines.push(`skipped ${s.metric}: ${s.reason}`);
  return lines.join('\n');
}
