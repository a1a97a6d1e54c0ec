/** PII leakage of the forget set: each detected span (and each listed name) is a greedy probe. */
import { piiLeakage } from '../pii-leak.ts';
import { setEntry, type MetricFamily } from './family.ts';

export const pii: MetricFamily = {
  name: 'pii',
  needs: [],
  async run(context) {
    const { model, tokenizer, forget, names, skipped, progress } = context;
    const result = await piiLeakage(
      model,
      tokenizer,
      forget.documents.map((d) => d.text),
      {
        ...(names === undefined ? {} : { names }),
        onProgress: (done, total) => progress('forget: pii probes', done, total),
      },
    );
    setEntry(context, 'forget').pii = {
      probes: result.probes,
      leaked: result.leaked,
      leakRate: result.leakRate,
      skippedSpans: result.skipped,
    };
    if (result.leakRate === null)
      skipped.push({
        metric: 'sets.forget.pii.leakRate',
        reason: 'no PII span found in the forget set',
      });
  },
};
