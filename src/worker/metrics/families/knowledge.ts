/**
 * Knowledge memorization on QA pairs: for each pair, prompt = encode(question + "\n"), greedy
 * decode up to 32 tokens (stopping at EOS), cut at the first blank line, ROUGE-L recall against
 * the answer with rouge_score's stemming tokenizer, as TOFU (`evals/eval_everything.py`:
 * `rougeL_recall`, `use_stemmer=True`); the mean per set. Which set a pair is in comes from its
 * file's name (qa-sets.ts: "retain…" retain, "holdout…" holdout, anything else forget), as for
 * the truth-ratio and KnowMem families; the holdout set is reported only when it has pairs.
 */
import type { QaPair } from '../../data/documents.ts';
import type { CausalLM } from '../../model/architectures/types.ts';
import { greedyGenerateMany } from '../../model/generate.ts';
import type { Tokenizer } from '../../model/tokenizer.ts';
import { rougeL } from '../formulas/rouge.ts';
import type { MetricFamily, SetName } from './family.ts';
import { qaBySet } from './qa-sets.ts';

const SETS: readonly SetName[] = ['forget', 'retain', 'holdout'];

/** Greedy tokens of a QA answer (ALGORITHMS.md `knowledge.*.rougeL`). */
export const QA_ANSWER_TOKENS = 32;

export const knowledge: MetricFamily = {
  name: 'knowledge',
  needs: [{ input: 'qa', skipped: [{ metric: 'knowledge', reason: 'no QA pairs (--qa) given' }] }],
  async run({ model, tokenizer, qa, report, skipped, progress }) {
    const result: Record<string, unknown> = {};
    const groups = qaBySet(qa ?? []);
    // Every group's answers in one batched decoding.
    const asked = SETS.flatMap((name) => groups[name].map((pair) => ({ name, pair })));
    const stopIds = tokenizer.eosId === null ? [] : [tokenizer.eosId];
    const answers = await greedyGenerateMany(
      model,
      asked.map(({ pair }) => ({
        prompt: answerPrompt(model, tokenizer, pair),
        maxNewTokens: QA_ANSWER_TOKENS,
        stopIds,
      })),
      { onProgress: (done, total) => progress('knowledge', done, total) },
    );
    for (const name of SETS) {
      const pairs = groups[name];
      if (pairs.length === 0) {
        if (name === 'holdout') continue; // optional: no line for what nobody asked
        skipped.push({ metric: `knowledge.${name}`, reason: `no ${name} QA pairs given` });
        continue;
      }
      const sum = asked.reduce(
        (total, ask, i) =>
          ask.name === name ? total + answerRecall(tokenizer, ask.pair, answers[i]!) : total,
        0,
      );
      result[name] = { rougeL: sum / pairs.length, pairs: pairs.length };
    }
    report.knowledge = result;
  },
};

/** encode(question + "\n"), its last tokens when it would not leave room for the answer. */
function answerPrompt(model: CausalLM, tokenizer: Tokenizer, pair: QaPair): number[] {
  const limit = Math.min(model.spec.maxPositions, model.spec.slidingWindow ?? Infinity);
  const prompt = tokenizer.encode(`${pair.question}\n`);
  if (prompt.length + QA_ANSWER_TOKENS <= limit) return prompt;
  return prompt.slice(prompt.length - Math.max(1, limit - QA_ANSWER_TOKENS));
}

/** Stemmed ROUGE-L recall against `pair.answer` of the greedy answer, cut at the first blank line. */
function answerRecall(tokenizer: Tokenizer, pair: QaPair, generated: readonly number[]): number {
  const text = tokenizer.decode(generated, { skipSpecialTokens: true });
  const answer = text.split(/\n\s*\n/)[0] ?? '';
  return rougeL(answer, pair.answer, { stem: true }).recall;
}
