/**
 * MUSE's KnowMem and TOFU's Model Utility (docs/metrics.md).
 *
 * KnowMem (`swj0419/muse_bench` `metrics/knowmem.py`, `metrics/logger.py`, `eval.py`): for each
 * QA pair the prompt "Question: {question}\nAnswer: " (MUSE puts its in-context examples before
 * it; we have none, so zero-shot), greedy decoding of up to 32 new tokens (stopping at EOS), the
 * output cut before the first "\n\n", then "\nQuestion", then "Question:", and ROUGE-L F1 against
 * the answer, rouge_score tokens without stemming; the mean per set (`mean_rougeL`; MUSE
 * reports it ×100). Forget (`knowmem_f`) and retain (`knowmem_r`) QA pairs (qa-sets.ts).
 *
 * Model utility (`locuslab/tofu` `aggregate_eval_stat.py` `get_model_utility`; open-unlearning
 * `utility.py` `hm_aggregate`): the harmonic mean of the retain set's answer probability, ROUGE-L
 * recall (`knowledge.retain.rougeL`) and truth ratio statistic mean max(0, 1 − R). TOFU takes
 * the harmonic mean of those three on retain, real authors and world facts (nine numbers); we
 * only have the retain set.
 */
import type { QaPair } from '../../data/documents.ts';
import { greedyGenerateMany } from '../../model/generate.ts';
import { rougeL } from '../formulas/rouge.ts';
import { harmonicMean } from '../formulas/truth-ratio.ts';
import type { MetricFamily } from './family.ts';
import { qaBySet } from './qa-sets.ts';

/** MUSE's `knowmem_max_new_tokens`. */
export const KNOWMEM_NEW_TOKENS = 32;

/** MUSE's prompt (without its in-context examples). */
export const knowMemPrompt = (question: string): string => `Question: ${question}\nAnswer: `;

/** MUSE's `get_prefix_before_words_occur(output, ["\n\n", "\nQuestion", "Question:"])`. */
export function knowMemCut(output: string): string {
  let text = output;
  for (const word of ['\n\n', '\nQuestion', 'Question:']) text = text.split(word)[0]!;
  return text;
}

export const knowMem: MetricFamily = {
  name: 'knowMem',
  needs: [{ input: 'qa', skipped: [{ metric: 'knowMem', reason: 'no QA pairs (--qa) given' }] }],
  async run({ model, tokenizer, qa, report, skipped, progress }) {
    const limit = Math.min(model.spec.maxPositions, model.spec.slidingWindow ?? Infinity);
    const groups = qaBySet(qa ?? []);
    const asked: { set: 'forget' | 'retain'; pair: QaPair }[] = [];
    for (const set of ['forget', 'retain'] as const) {
      if (groups[set].length === 0)
        skipped.push({ metric: `knowMem.${set}`, reason: `no ${set} QA pairs given` });
      for (const pair of groups[set]) asked.push({ set, pair });
    }
    const stopIds = tokenizer.eosId === null ? [] : [tokenizer.eosId];
    const outputs = await greedyGenerateMany(
      model,
      asked.map(({ pair }) => {
        const prompt = tokenizer.encode(knowMemPrompt(pair.question));
        const room = Math.max(1, limit - KNOWMEM_NEW_TOKENS);
        return {
          prompt: prompt.length > room ? prompt.slice(prompt.length - room) : prompt,
          maxNewTokens: KNOWMEM_NEW_TOKENS,
          stopIds,
        };
      }),
      { onProgress: (done, total) => progress('knowMem', done, total) },
    );
    const result: Record<string, unknown> = {};
    for (const set of ['forget', 'retain'] as const) {
      const scores = asked.flatMap(({ set: s, pair }, i) =>
        s === set
          ? [
              rougeL(
                knowMemCut(tokenizer.decode(outputs[i]!, { skipSpecialTokens: true })),
                pair.answer,
              ).f1,
            ]
          : [],
      );
      if (scores.length > 0)
        result[set] = {
          rougeL: scores.reduce((a, b) => a + b, 0) / scores.length,
          pairs: scores.length,
        };
    }
    report.knowMem = result;
  },
};

export const modelUtility: MetricFamily = {
  name: 'modelUtility',
  needs: [
    { input: 'qa', skipped: [{ metric: 'modelUtility', reason: 'no QA pairs (--qa) given' }] },
  ],
  async run({ report, skipped }) {
    const retain = (report.truthRatio as Record<string, Record<string, unknown>> | undefined)
      ?.retain;
    const probability = retain?.answerProbability as number | null | undefined;
    const truth = retain?.statistic as number | undefined;
    const recall = (report.knowledge as Record<string, { rougeL?: number }> | undefined)?.retain
      ?.rougeL;
    if (typeof probability !== 'number' || typeof truth !== 'number' || recall === undefined) {
      skipped.push({
        metric: 'modelUtility',
        reason:
          'needs retain QA pairs (a --qa file named retain*) with "paraphrased_answer" and "perturbed_answers"',
      });
      return;
    }
    const components = { answerProbability: probability, rougeLRecall: recall, truthRatio: truth };
    report.modelUtility = {
      value: harmonicMean(Object.values(components)),
      components,
      sets: ['retain'],
    };
    await Promise.resolve();
  },
};
