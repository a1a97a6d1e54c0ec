/**
 * Knowledge memorization on QA pairs: for each pair, prompt = encode(question + "\n"), greedy
 * decode up to 32 tokens (stopping at EOS), cut at the first blank line, ROUGE-L recall against
 * the answer; the mean per set. Pairs from a file whose name starts with "retain" are retain
 * knowledge, every other pair forget knowledge.
 */
import type { QaPair } from '../../data/documents.ts';
import type { CausalLM } from '../../model/architectures/types.ts';
import { greedyGenerate } from '../../model/generate.ts';
import type { Tokenizer } from '../../model/tokenizer.ts';
import { rougeL } from '../formulas/rouge.ts';
import type { MetricFamily } from './family.ts';

/** Greedy tokens of a QA answer (ALGORITHMS.md `knowledge.*.rougeL`). */
export const QA_ANSWER_TOKENS = 32;

export const knowledge: MetricFamily = {
  name: 'knowledge',
  needs: [{ input: 'qa', skipped: [{ metric: 'knowledge', reason: 'no QA pairs (--qa) given' }] }],
  async run({ model, tokenizer, qa, report, skipped, progress }) {
    const result: Record<string, unknown> = {};
    const groups = { forget: [] as QaPair[], retain: [] as QaPair[] };
    for (const pair of qa ?? []) {
      const file = pair.id.slice(0, pair.id.lastIndexOf(':'));
      const base = file.slice(file.lastIndexOf('/') + 1).toLowerCase();
      groups[base.startsWith('retain') ? 'retain' : 'forget'].push(pair);
    }
    for (const name of ['forget', 'retain'] as const) {
      const pairs = groups[name];
      if (pairs.length === 0) {
        skipped.push({ metric: `knowledge.${name}`, reason: `no ${name} QA pairs given` });
        continue;
      }
      let sum = 0;
      for (const [i, pair] of pairs.entries()) {
        sum += await answerRecall(model, tokenizer, pair);
        progress(`knowledge ${name}`, i + 1, pairs.length);
      }
      result[name] = { rougeL: sum / pairs.length, pairs: pairs.length };
    }
    report.knowledge = result;
  },
};

/** ROUGE-L recall of the greedy answer to `pair.question` against `pair.answer`. */
async function answerRecall(model: CausalLM, tokenizer: Tokenizer, pair: QaPair): Promise<number> {
  const limit = Math.min(model.spec.maxPositions, model.spec.slidingWindow ?? Infinity);
  let prompt = tokenizer.encode(`${pair.question}\n`);
  if (prompt.length + QA_ANSWER_TOKENS > limit) {
    prompt = prompt.slice(prompt.length - Math.max(1, limit - QA_ANSWER_TOKENS));
  }
  const stop = tokenizer.eosId === null ? [] : [tokenizer.eosId];
  const generated = await greedyGenerate(model, prompt, QA_ANSWER_TOKENS, stop);
  const text = tokenizer.decode(generated, { skipSpecialTokens: true });
  const answer = text.split(/\n\s*\n/)[0] ?? '';
  return rougeL(answer, pair.answer).recall;
}
