/**
 * TOFU's probability statistics on QA pairs (docs/metrics.md "Truth ratio"): for each pair the
 * length-normalised probability of the answer given the question ("Prob."), and, where the pair
 * has TOFU's `paraphrased_answer` and `perturbed_answers`, the truth ratio
 * R = P̃(perturbed)/P̃(paraphrased) (formulas/truth-ratio.ts). Per set: TOFU's reported
 * statistic — forget mean min(R, 1/R), retain and holdout mean max(0, 1 − R) — and on the forget
 * set the per-question ratios of the model and, with --reference, of the reference model: the
 * two samples of Forget Quality's KS test (forget-quality.ts).
 *
 * Formatting, TOFU's `convert_raw_data_to_model_format` with our QA prompt: the question part is
 * the tokenizer's prefix (e.g. BOS) + encode(question + "\n") — TOFU's question tags
 * ("[INST] ", " [/INST]" for Llama 2) become "" and "\n", the answer tag "" — the sequence is
 * prefix + encode(question + "\n" + answer) + EOS, and the scored targets are every token after
 * the question part, EOS included (TOFU labels the EOS it appends). A sequence longer than the
 * model's positions loses tokens from the front of the question.
 */
import type { QaPair } from '../../data/documents.ts';
import type { CausalLM } from '../../model/architectures/types.ts';
import type { Tokenizer } from '../../model/tokenizer.ts';
import {
  answerProbability,
  averageLoss,
  truthRatio,
  truthRatioForgetStatistic,
  truthRatioUtilityStatistic,
} from '../formulas/truth-ratio.ts';
import { computeTokenStats } from '../token-stats.ts';
import { SET_NAMES, type MetricFamily, type SetName } from './family.ts';
import { qaBySet } from './qa-sets.ts';

/** A sequence to score and the index of its first scored target in `logProbs`. */
export interface ScoredAnswer {
  readonly tokenIds: number[];
  readonly firstTarget: number;
}

/** The scored sequence of `answer` to `question` (module comment), cut to `limit` tokens. */
export function answerSequence(
  tokenizer: Tokenizer,
  question: string,
  answer: string,
  limit: number,
): ScoredAnswer {
  const prompt = `${question}\n`;
  const questionPart = [
    ...tokenizer.prefixIds,
    ...tokenizer.encode(prompt, { addSpecialTokens: false }),
  ];
  const full = [
    ...tokenizer.prefixIds,
    ...tokenizer.encode(prompt + answer, { addSpecialTokens: false }),
    ...(tokenizer.eosId === null ? [] : [tokenizer.eosId]),
  ];
  // Target t (predicting x_t) is entry t − 1 of the token statistics.
  let first = questionPart.length;
  let tokenIds = full;
  if (full.length > limit) {
    const dropped = full.length - limit;
    tokenIds = full.slice(dropped);
    first = Math.max(1, first - dropped);
  }
  return { tokenIds, firstTarget: first - 1 };
}

/** Average loss of the scored targets (null when none is left). */
export function answerLoss(logProbs: readonly number[], firstTarget: number): number | null {
  return averageLoss(logProbs.slice(firstTarget));
}

interface Probe {
  readonly set: SetName;
  readonly pair: QaPair;
  /** Index into the sequences of the answer, the paraphrase and the perturbed answers. */
  readonly answer: number;
  readonly paraphrased?: number;
  readonly perturbed?: readonly number[];
}

const hasProbes = (pair: QaPair): boolean =>
  pair.paraphrasedAnswer !== undefined && (pair.perturbedAnswers?.length ?? 0) > 0;

/** Per-question truth ratios from the losses of `stats` (null where a loss is undefined). */
function ratiosOf(probes: readonly Probe[], losses: readonly (number | null)[]): number[] {
  const out: number[] = [];
  for (const probe of probes) {
    if (probe.paraphrased === undefined || probe.perturbed === undefined) continue;
    const para = losses[probe.paraphrased];
    const pert = probe.perturbed.map((i) => losses[i]);
    if (para === null || para === undefined || pert.some((l) => l === null || l === undefined))
      continue;
    out.push(truthRatio(para, pert as number[]));
  }
  return out;
}

async function lossesUnder(
  model: CausalLM,
  sequences: readonly ScoredAnswer[],
  progress: (done: number, total: number) => void,
): Promise<(number | null)[]> {
  const stats = await computeTokenStats(
    model,
    sequences.map((s) => s.tokenIds),
    { batchSize: 32, onProgress: progress },
  );
  return stats.map((s, i) => answerLoss(s.logProbs, sequences[i]!.firstTarget));
}

export const truthRatioFamily: MetricFamily = {
  name: 'truthRatio',
  needs: [{ input: 'qa', skipped: [{ metric: 'truthRatio', reason: 'no QA pairs (--qa) given' }] }],
  async run({ model, tokenizer, qa, referenceModel, report, skipped, progress }) {
    const limitOf = (m: CausalLM) =>
      Math.min(m.spec.maxPositions, m.spec.slidingWindow ?? Infinity);
    const limit = Math.min(
      limitOf(model),
      referenceModel === undefined ? Infinity : limitOf(referenceModel),
    );
    const groups = qaBySet(qa ?? []);
    const sequences: ScoredAnswer[] = [];
    const add = (answer: string, pair: QaPair): number =>
      sequences.push(answerSequence(tokenizer, pair.question, answer, limit)) - 1;
    const probes: Probe[] = [];
    for (const set of SET_NAMES) {
      for (const pair of groups[set]) {
        const answer = add(pair.answer, pair);
        if (!hasProbes(pair)) {
          probes.push({ set, pair, answer });
          continue;
        }
        const paraphrased = add(pair.paraphrasedAnswer!, pair);
        const perturbed = pair.perturbedAnswers!.map((a) => add(a, pair));
        probes.push({ set, pair, answer, paraphrased, perturbed });
      }
    }
    const losses = await lossesUnder(model, sequences, (d, t) => progress('truth ratio', d, t));

    const result: Record<string, unknown> = {};
    for (const set of SET_NAMES) {
      const mine = probes.filter((p) => p.set === set);
      if (mine.length === 0) continue;
      const answerLosses = mine
        .map((p) => losses[p.answer])
        .filter((l): l is number => l !== null && l !== undefined);
      const entry: Record<string, unknown> = {
        questions: mine.length,
        answerProbability: answerLosses.length > 0 ? answerProbability(answerLosses) : null,
      };
      const ratios = ratiosOf(mine, losses);
      entry.probed = ratios.length;
      if (ratios.length === 0) {
        skipped.push({
          metric: `truthRatio.${set}`,
          reason: `no ${set} QA pair has "paraphrased_answer" and "perturbed_answers"`,
        });
      } else {
        entry.statistic =
          set === 'forget' ? truthRatioForgetStatistic(ratios) : truthRatioUtilityStatistic(ratios);
        entry.meanRatio = ratios.reduce((a, b) => a + b, 0) / ratios.length;
        if (set === 'forget') entry.ratios = ratios;
      }
      result[set] = entry;
    }

    // The reference model's forget ratios: the other sample of Forget Quality's KS test.
    const forget = result.forget as Record<string, unknown> | undefined;
    if (referenceModel !== undefined && forget?.ratios !== undefined) {
      const mine = probes.filter((p) => p.set === 'forget' && p.paraphrased !== undefined);
      const indices = mine.flatMap((p) => [p.paraphrased!, ...p.perturbed!]);
      const refLosses = await lossesUnder(
        referenceModel,
        indices.map((i) => sequences[i]!),
        (d, t) => progress('truth ratio: reference', d, t),
      );
      const byIndex: (number | null)[] = [];
      indices.forEach((seq, k) => (byIndex[seq] = refLosses[k]!));
      const referenceRatios = ratiosOf(mine, byIndex);
      if (referenceRatios.length > 0) {
        forget.referenceRatios = referenceRatios;
        forget.referenceStatistic = truthRatioForgetStatistic(referenceRatios);
      }
    }
    report.truthRatio = result;
  },
};
