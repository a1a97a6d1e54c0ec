import type { EvalReport } from '../../shared/contracts.ts';
import { readEvalFiles, type EvalRequest } from '../../worker/tasks/eval-files.ts';
import type { Command } from '../command.ts';
import { optionalString, requiredString } from '../options.ts';
import { runInWorker } from '../worker.ts';

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
    const request: EvalRequest = {
      model: positionals[0]!,
      forget: requiredString(values, 'forget'),
      retain: optionalString(values, 'retain'),
      holdout: optionalString(values, 'holdout'),
      qa: optionalString(values, 'qa'),
      reference: optionalString(values, 'reference'),
      names: optionalString(values, 'names')?.split(','),
    };
    // Bad documents exit 2 before a worker starts.
    await readEvalFiles(request, {
      onProgress: (label, done, total) => progress.step(label, done, total),
    });
    const defined = Object.fromEntries(Object.entries(request).filter(([, v]) => v !== undefined));
    const report = await runInWorker(
      'eval',
      { ...(defined as EvalRequest), backend: global.backend, seed: global.seed },
      progress,
    );
    print(report, humanText(report));
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
          : `  pii ${set.pii.probes} probes leak ${f(set.pii.leakRate, 3)}` +
            (set.pii.anyPrompt === undefined
              ? ''
              : ` (any prompt ${f(set.pii.anyPrompt.leakRate, 3)})`)),
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
  if (report.truthRatio !== undefined) {
    for (const name of ['forget', 'retain', 'holdout'] as const) {
      const t = report.truthRatio[name];
      if (t === undefined) continue;
      lines.push(
        `truthRatio ${name}: ${name === 'forget' ? 'mean min(R,1/R)' : 'mean max(0,1-R)'} ${f(t.statistic, 3)}  ` +
          `answer prob ${f(t.answerProbability, 4)}  (${t.probed}/${t.questions} probed)`,
      );
    }
  }
  if (report.knowMem !== undefined) {
    for (const name of ['forget', 'retain'] as const) {
      const k = report.knowMem[name];
      if (k !== undefined) lines.push(`knowMem ${name}: rougeL F1 ${f(k.rougeL, 3)}`);
    }
  }
  if (report.modelUtility !== undefined)
    lines.push(`modelUtility ${f(report.modelUtility.value)} (TOFU, retain set only)`);
  const fqLabel =
    report.forgetQualityDefinition === 'mean-nll-fallback'
      ? 'forgetQuality (fallback: mean-NLL KS)'
      : 'forgetQuality';
  lines.push(`privLeak ${f(report.privLeak, 2)}  ${fqLabel} ${f(report.forgetQuality)}`);
  for (const s of report.skipped) lines.push(`skipped ${s.metric}: ${s.reason}`);
  return lines.join('\n');
}
