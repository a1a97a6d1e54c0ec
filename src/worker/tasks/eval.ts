/**
 * `eval`: the metrics document of DESIGN.md §5 (ALGORITHMS.md "Metrics") for a model on the
 * forget set and, when given, the retain and holdout sets, QA pairs and a reference model.
 *
 * Conventions:
 * - Each document is tokenized as `score` does (with the tokenizer's framing) and cut into
 *   windows of the model's positions (`chunkTokens`), ids `<file>#<chunk>`. Every per-token
 *   metric, verbatim and MIA work on these windows; `documents` counts input documents and
 *   `windows` the windows.
 * - Verbatim: p = c = 32 (`verbatim.ts`). PII: the forget and holdout sets, on whole document
 *   texts (`pii-leak.ts`: true prefix, shortened prefix, templated questions), names from
 *   `names`.
 * - Per-document risk (`risk`, with a holdout set): each forget document's LOSS-attack
 *   percentile among the holdout documents and its verbatim extraction (`risk.ts`).
 * - MIA: forget windows against holdout windows (`mia.ts`); zlib uses each window's decoded text.
 * - Reference model (optional, same tokenizer): its token stats on the same windows give
 *   `mia.reference` and `privLeak`. `forgetQuality` is TOFU's: the two-sample KS p-value between
 *   the truth ratios of the model and of the reference on the forget QA pairs (`truthRatio`,
 *   needs `paraphrased_answer` and `perturbed_answers`); without them, the fallback is the KS
 *   p-value between per-window mean NLLs on the forget documents, and `forgetQualityDefinition`
 *   says which one was used.
 * - TOFU truth ratio and answer probability, MUSE KnowMem and TOFU's model utility on the QA
 *   pairs: families/truth-ratio.ts, families/utility.ts (docs/metrics.md).
 * - Knowledge: for each QA pair, prompt = encode(question + "\n"), greedy decode up to 32 tokens
 *   (stopping at EOS), cut at the first blank line, ROUGE-L recall (stemmed, TOFU) against the
 *   answer; the mean per set. Pairs read from a file whose name starts with "retain" (e.g. a
 *   `--qa` folder with forget.jsonl and retain.jsonl) are retain knowledge, every other pair
 *   forget knowledge.
 * - Whatever cannot be computed is listed in `skipped` with the reason; nothing is NaN.
 *
 * The families (memorization, PII, knowledge, membership inference, forget quality) are modules
 * in ../metrics/families, each declaring the optional inputs it needs; this file scores the
 * windows once (model and reference) and runs every family whose inputs are present.
 */
import type { SkippedMetric } from '../../shared/contracts.ts';
import type { Document, QaPair } from '../data/documents.ts';
import {
  METRIC_FAMILIES,
  SET_NAMES,
  type EvalContext,
  type EvalInputName,
  type SetWork,
} from '../metrics/families/index.ts';
import { computeTokenStats } from '../metrics/token-stats.ts';
import type { CausalLM } from '../model/architectures/types.ts';
import type { Tokenizer } from '../model/tokenizer.ts';
import { chunkTokens } from './score.ts';

export { QA_ANSWER_TOKENS, SET_NAMES, type SetName } from '../metrics/families/index.ts';

export interface EvalModel {
  readonly model: CausalLM;
  readonly tokenizer: Tokenizer;
}

export interface EvalInputs {
  readonly model: EvalModel & { readonly sha256: string; readonly architecture: string };
  readonly sets: Partial<Record<(typeof SET_NAMES)[number], readonly Document[]>> & {
    readonly forget: readonly Document[];
  };
  readonly qa?: readonly QaPair[];
  readonly reference?: EvalModel;
  readonly names?: readonly string[];
}

export interface EvalOptions {
  readonly onProgress?: (label: string, done: number, total: number) => void;
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

  const report: Record<string, unknown> = {
    model: { sha256: inputs.model.sha256, architecture: inputs.model.architecture },
  };
  const present: Record<EvalInputName, boolean> = {
    retain: inputs.sets.retain !== undefined,
    holdout: inputs.sets.holdout !== undefined,
    qa: inputs.qa !== undefined,
    reference: inputs.reference !== undefined,
  };
  const context: EvalContext = {
    model,
    tokenizer,
    sets: work,
    forget: work.find((s) => s.name === 'forget')!,
    ...(inputs.qa === undefined ? {} : { qa: inputs.qa }),
    ...(inputs.names === undefined ? {} : { names: inputs.names }),
    hasReference: present.reference,
    ...(inputs.reference === undefined ? {} : { referenceModel: inputs.reference.model }),
    report,
    skipped,
    progress,
  };
  for (const family of METRIC_FAMILIES) {
    const missing = family.needs.find((need) => !present[need.input]);
    if (missing === undefined) {
      await family.run(context);
      continue;
    }
    skipped.push(...missing.skipped);
    for (const key of missing.nullKeys ?? []) report[key] = null;
  }
  report.skipped = skipped;
  return report;
}
