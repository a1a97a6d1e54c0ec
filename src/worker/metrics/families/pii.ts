/**
 * PII leakage of the forget set and, when given, the holdout set (people the model never saw:
 * what a model "leaks" there it guessed, e.g. an email built from the name): each detected span
 * (and each listed name) is probed with up to `PII_MAX_PROMPTS_PER_SPAN` greedy prompts — the
 * true prefix, a shortened prefix and templated questions (`pii-leak.ts`, `pii-prompts.ts`).
 * Both sets are decoded in one batched call.
 */
import { piiLeakage, summarizeProbes, type PiiLeakResult } from '../pii-leak.ts';
import { setEntry, type MetricFamily, type SetName } from './family.ts';

/** The sets probed for PII, when present. */
export const PII_SETS: readonly SetName[] = ['forget', 'holdout'];

export const pii: MetricFamily = {
  name: 'pii',
  needs: [],
  async run(context) {
    const { model, tokenizer, sets, names, skipped, progress } = context;
    const probed = sets.filter((s) => PII_SETS.includes(s.name));
    // One call over every probed set's documents, so their prompts share decoding batches.
    const texts = probed.flatMap((set) => set.documents.map((d) => d.text));
    const all = await piiLeakage(model, tokenizer, texts, {
      ...(names === undefined ? {} : { names }),
      onProgress: (done, total) => progress('pii probes', done, total),
    });
    let first = 0;
    for (const set of probed) {
      const count = set.documents.length;
      const result = slice(all, first, first + count);
      first += count;
      setEntry(context, set.name).pii = piiEntry(result);
      if (result.leakRate === null)
        skipped.push({
          metric: `sets.${set.name}.pii.leakRate`,
          reason: `no PII span found in the ${set.name} set`,
        });
    }
  },
};

/** The JSON entry of one set: counts and rates only, never a span or an output. */
function piiEntry(result: PiiLeakResult): Record<string, unknown> {
  return {
    probes: result.probes,
    leaked: result.leaked,
    leakRate: result.leakRate,
    skippedSpans: result.skipped,
    anyPrompt: { leaked: result.anyPrompt.leaked, leakRate: result.anyPrompt.leakRate },
    byPrompt: result.byPrompt,
    templatedSpans: result.templatedSpans,
    prompts: result.prompts,
    maxPromptsPerSpan: result.maxPromptsPerSpan,
  };
}

/** The result for documents [from, to) of a pooled call, as if they had been probed alone. */
function slice(all: PiiLeakResult, from: number, to: number): PiiLeakResult {
  const perProbe = all.perProbe
    .filter((p) => p.documentIndex >= from && p.documentIndex < to)
    .map((p) => ({ ...p, documentIndex: p.documentIndex - from }));
  return summarizeProbes(perProbe, all.skippedByDocument.slice(from, to), all.maxPromptsPerSpan);
}
