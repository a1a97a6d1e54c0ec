/**
 * Per set: mean NLL, verbatim memorization (p = c = 32; all sets decoded together), exact
 * memorization and extraction strength (teacher-forced), and with a reference model the
 * reference's mean NLL and extraction strength, and on the forget set its verbatim exact rate
 * (one more greedy decoding, of the forget windows only): the level the verdict's extraction
 * criterion compares with.
 */
import { setMetrics } from '../set-metrics.ts';
import { verbatimOfSets } from '../verbatim.ts';
import type { MetricFamily } from './family.ts';

export const memorization: MetricFamily = {
  name: 'memorization',
  needs: [],
  async run({ model, tokenizer, sets, referenceModel, report, skipped, progress }) {
    const entries: Record<string, unknown> = {};
    // One batched decoding over every set's windows (verbatimOfSets).
    const verbatims = await verbatimOfSets(
      model,
      tokenizer,
      sets.map((set) => set.windows.map((w) => w.tokenIds)),
      { onProgress: (done, total) => progress('verbatim', done, total) },
    );
    for (const [s, set] of sets.entries()) {
      const summary = setMetrics(set.stats);
      const verbatim = verbatims[s]!;
      set.verbatim = verbatim.perDocument;
      const entry: Record<string, unknown> = {
        documents: set.documents.length,
        windows: set.windows.length,
        scoredWindows: summary.scoredDocuments,
        tokens: summary.tokens,
        meanNll: summary.meanNll,
        verbatim: {
          prefixTokens: verbatim.prefixTokens,
          continuationTokens: verbatim.continuationTokens,
          rougeL: verbatim.rougeL,
          exactRate: verbatim.exactRate,
          scored: verbatim.scored,
          skipped: verbatim.skipped,
        },
        extractionStrength: summary.extractionStrength,
        exactMemorization: summary.exactMemorization,
      };
      if (summary.meanNll === null)
        skipped.push({ metric: `sets.${set.name}.meanNll`, reason: 'no window has two tokens' });
      if (verbatim.exactRate === null) {
        skipped.push({
          metric: `sets.${set.name}.verbatim`,
          reason: `no window is longer than the ${verbatim.prefixTokens}-token prefix`,
        });
      }
      if (set.referenceStats !== undefined) {
        const reference = setMetrics(set.referenceStats);
        entry.referenceMeanNll = reference.meanNll;
        entry.referenceExtractionStrength = reference.extractionStrength;
      }
      entries[set.name] = entry;
    }
    const forget = sets.find((set) => set.name === 'forget');
    if (referenceModel !== undefined && forget !== undefined) {
      const [underReference] = await verbatimOfSets(
        referenceModel,
        tokenizer,
        [forget.windows.map((w) => w.tokenIds)],
        { onProgress: (done, total) => progress('verbatim (reference)', done, total) },
      );
      (entries.forget as Record<string, unknown>).referenceVerbatimExactRate =
        underReference!.exactRate;
    }
    report.sets = entries;
  },
};
