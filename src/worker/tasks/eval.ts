/**
 * `eval`: the metrics document of DESIGN.md §5 (ALGORITHMS.md "Metrics") for a model on the
 * forget set and, when given, the retain and holdout sets, QA pairs and a reference model.
 *
 * Conventions:
 * - Each document is tokenized as `score` does (with the tokenizer's framing) and cut into
 *   windows of the model's positions (`chunkTokens`), ids `<file>#<chunk>`. Every per-token
 *   metric, verbatim and MIA work on these windows; `documents` counts input documents and
 *   `windows` the windows.
 * - Verbatim: p = c = 32 (`verbatim.ts`). PII: forget set only, on whole document texts
 *   (`pii-leak.ts`), names from `names`.
 * - MIA: forget windows against holdout windows (`mia.ts`); zlib uses each window's decoded text.
 * - Reference model (optional, same tokenizer): its token stats on the same windows give
 *   `mia.reference` and `privLeak`; `forgetQuality` is the two-sample KS p-value between the
 *   per-window mean NLLs of the model and of the reference on the forget set.
 * - Knowledge: for each QA pair, prompt = encode(question + "\n"), greedy decode up to 32 tokens
 *   (stopping at EOS), cut at the first blank line, ROUGE-L recall against the answer; the mean
 *   per set. Pairs read from a file whose name starts with "retain" (e.g. a `--qa` folder with
 *   forget.jsonl and retain.jsonl) are retain knowledge, every other pair forget knowledge.
 * - Whatever cannot be computed is listed in `skipped` with the reason; nothing is NaN.
 */
import type { SkippedMetric } from '../../shared/contracts.ts';
import type { CausalLM } from '../model/architectures/types.ts';
import type { Tokenizer } from '../model/tokenizer.ts';
import type { Document, QaPair } from '../data/documents.ts';
import { greedyGenerate } from '../model/generate.ts';
import { ks2Sample } from '../metrics/formulas/ks.ts';
import { rougeL } from '../metrics/formulas/rouge.ts';
import { membershipInference, MIA_ATTACKS, type MiaSet } from '../metrics/mia.ts';
import { piiLeakage } from '../metrics/pii-leak.ts';
import { setMetrics } from '../metrics/set-metrics.ts';
import { computeTokenStats, type TokenStats } from '../metrics/token-stats.ts';
import { verbatimMemorization } from '../metrics/verbatim.ts';
import { chunkTokens } from './score.ts';

export const SET_NAMES = ['forget', 'retain', 'holdout'] as const;
export type SetName = (typeof SET_NAMES)[number];

/** Greedy tokens of a QA answer (ALGORITHMS.md `knowledge.*.rougeL`). */
export const QA_ANSWER_TOKENS = 32;

export interface EvalModel {
  readonly model: CausalLM;
  readonly tokenizer: Tokenizer;
}

export interface EvalInputs {
  readonly model: EvalModel & { readonly sha256: string; readonly architecture: string };
  readonly sets: Partial<Record<SetName, readonly Document[]>> & {
    readonly forget: readonly Document[];
  };
  readonly qa?: readonly QaPair[];
  readonly reference?: EvalModel;
  readonly names?: readonly string[];
}

export interface EvalOptions {
  readonly onProgress?: (label: string, done: number, total: number) => void;
}

interface Window {
  readonly id: string;
  readonly tokenIds: number[];
}

interface SetWork {
  readonly name: SetName;
  readonly documents: readonly Document[];
  readonly windows: Window[];
  readonly stats: TokenStats[];
  referenceStats?: TokenStats[];
}

/** Builds the eval document (not yet validated: the caller parses it with `EvalReport`). */
export async function evaluateModel(
  inputs: EvalInputs,
  options: EvalOptions = {},
): Promise<Record<string, unknown>> {
  const { model, tokenizer } = inputs.model;
  const progress = options.onProgress ?? (() => undefined);
  const limit = Math.min(model.spec.maxPositions, model.spec.slidingWindow ?? Infinity);
  const skipped: SkippedMetric[] = [];

  const work: SetWork[] = [];
  for (const name of SET_NAMES) {
    const documents = inputs.sets[name];
    if (documents === undefined) continue;
    const windows = documents.flatMap((doc) =>
      chunkTokens(tokenizer.encode(doc.text), limit).map((tokenIds, chunk) => ({
        id: `${doc.id}#${chunk}`,
        tokenIds,
      })),
    );
    const stats = await computeTokenStats(
      model,
      windows.map((w) => w.tokenIds),
      { onProgress: (done, total) => progress(`${name}: token stats`, done, total) },
    );
    work.push({ name, documents, windows, stats });
  }

  if (inputs.reference !== undefined) {
    const ref = inputs.reference;
    if (ref.model.spec.vocabSize !== model.spec.vocabSize) {
      throw new Error(
        `the reference model's vocabulary (${ref.model.spec.vocabSize}) differs from the model's (${model.spec.vocabSize}); it must share the tokenizer`,
      );
    }
    const refLimit = Math.min(
      ref.model.spec.maxPositions,
      ref.model.spec.slidingWindow ?? Infinity,
    );
    for (const set of work) {
      if (set.windows.some((w) => w.tokenIds.length > refLimit)) {
        throw new Error(
          `the reference model takes ${refLimit} positions, fewer than the model's ${limit}`,
        );
      }
      set.referenceStats = await computeTokenStats(
        ref.model,
        set.windows.map((w) => w.tokenIds),
        { onProgress: (done, total) => progress(`${set.name}: reference stats`, done, total) },
      );
    }
  }

  const sets: Record<string, unknown> = {};
  for (const set of work) {
    const summary = setMetrics(set.stats);
    const verbatim = await verbatimMemorization(
      model,
      tokenizer,
      set.windows.map((w) => w.tokenIds),
      { onProgress: (done, total) => progress(`${set.name}: verbatim`, done, total) },
    );
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
    if (summary.meanNll === null) {
      skipped.push({ metric: `sets.${set.name}.meanNll`, reason: 'no window has two tokens' });
    }
    if (verbatim.exactRate === null) {
      skipped.push({
        metric: `sets.${set.name}.verbatim`,
        reason: `no window is longer than the ${verbatim.prefixTokens}-token prefix`,
      });
    }
    if (set.name === 'forget') {
      const pii = await piiLeakage(
        model,
        tokenizer,
        set.documents.map((d) => d.text),
        {
          ...(inputs.names === undefined ? {} : { names: inputs.names }),
          onProgress: (done, total) => progress('forget: pii probes', done, total),
        },
      );
      entry.pii = {
        probes: pii.probes,
        leaked: pii.leaked,
        leakRate: pii.leakRate,
        skippedSpans: pii.skipped,
      };
      if (pii.leakRate === null) {
        skipped.push({
          metric: 'sets.forget.pii.leakRate',
          reason: 'no PII span found in the forget set',
        });
      }
    }
    if (set.referenceStats !== undefined) {
      entry.referenceMeanNll = setMetrics(set.referenceStats).meanNll;
    }
    sets[set.name] = entry;
  }

  const report: Record<string, unknown> = {
    model: { sha256: inputs.model.sha256, architecture: inputs.model.architecture },
    sets,
  };

  // Knowledge (QA).
  const qa = inputs.qa;
  if (qa === undefined) {
    skipped.push({ metric: 'knowledge', reason: 'no QA pairs (--qa) given' });
  } else {
    const knowledge: Record<string, unknown> = {};
    const groups = { forget: [] as QaPair[], retain: [] as QaPair[] };
    for (const pair of qa) {
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
      knowledge[name] = { rougeL: sum / pairs.length, pairs: pairs.length };
    }
    report.knowledge = knowledge;
  }

  // Membership inference.
  const forget = work.find((s) => s.name === 'forget')!;
  const holdout = work.find((s) => s.name === 'holdout');
  const miaSet = (set: SetWork): MiaSet => ({
    stats: set.stats,
    texts: set.windows.map((w) => tokenizer.decode(w.tokenIds, { skipSpecialTokens: true })),
    ...(set.referenceStats === undefined ? {} : { referenceStats: set.referenceStats }),
  });
  if (holdout === undefined) {
    skipped.push({ metric: 'mia', reason: 'membership inference needs a holdout set (--holdout)' });
    report.privLeak = null;
    skipped.push({ metric: 'privLeak', reason: 'needs a holdout set (--holdout)' });
  } else {
    const mia = membershipInference(miaSet(forget), miaSet(holdout));
    const attacks: Record<string, unknown> = {};
    for (const attack of MIA_ATTACKS) {
      const result = mia.attacks[attack];
      if (result !== undefined) {
        attacks[attack] = { auc: result.auc, tprAt1pctFpr: result.tprAt1pctFpr };
      }
    }
    report.mia = attacks;
    report.privLeak = mia.privLeak;
    for (const s of mia.skipped) {
      skipped.push(
        s.metric === 'privLeak' && inputs.reference === undefined
          ? { metric: 'privLeak', reason: 'needs a reference model (--reference)' }
          : s,
      );
    }
  }

  // Forget quality: KS between per-window mean NLLs of the model and the reference.
  report.forgetQuality = null;
  if (forget.referenceStats === undefined) {
    skipped.push({ metric: 'forgetQuality', reason: 'needs a reference model (--reference)' });
  } else {
    const model = meanNlls(forget.stats);
    const reference = meanNlls(forget.referenceStats);
    if (model.length === 0 || reference.length === 0) {
      skipped.push({ metric: 'forgetQuality', reason: 'no forget window has two tokens' });
    } else {
      report.forgetQuality = ks2Sample(model, reference).pValue;
    }
  }

  report.skipped = skipped;
  return report;
}

/** Per-window mean NLL of the windows with a scored token. */
function meanNlls(stats: readonly TokenStats[]): number[] {
  return stats
    .filter((s) => s.logProbs.length > 0)
    .map((s) => -s.logProbs.reduce((a, b) => a + b, 0) / s.logProbs.length);
}

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
