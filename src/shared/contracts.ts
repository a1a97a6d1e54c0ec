/**
 * The JSON documents the `nepenthe` command prints (DESIGN.md §5). Other tools parse these, so
 * the shapes are fixed here once and every command validates what it prints against them.
 */
import { z } from 'zod';

export const BackendName = z.enum(['auto', 'webgpu', 'tensorflow', 'native', 'wasm', 'cpu']);
export type BackendName = z.infer<typeof BackendName>;

export const InspectReport = z.object({
  architecture: z.string(),
  parameters: z.number().int().nonnegative(),
  layers: z.number().int().positive(),
  hidden: z.number().int().positive(),
  vocab: z.number().int().positive(),
  dtype: z.enum(['float32', 'float16', 'bfloat16']),
  sparsity: z.number().min(0).max(1),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type InspectReport = z.infer<typeof InspectReport>;

export const ScoredDocument = z.object({
  id: z.string(),
  tokenIds: z.array(z.number().int().nonnegative()),
  /** logprobs[i] = log P(tokenIds[i] | tokenIds[<i]); logprobs[0] is null. */
  logprobs: z.array(z.number().nullable()),
  meanNll: z.number().nullable(),
});
export const ScoreReport = z.object({ documents: z.array(ScoredDocument) });
export type ScoredDocument = z.infer<typeof ScoredDocument>;
export type ScoreReport = z.infer<typeof ScoreReport>;

export const GenerateReport = z.object({
  promptIds: z.array(z.number().int().nonnegative()),
  tokenIds: z.array(z.number().int().nonnegative()),
  text: z.string(),
});
export type GenerateReport = z.infer<typeof GenerateReport>;

export const BenchReport = z.object({
  backend: z.string(),
  shape: z.string(),
  trainTokensPerSecond: z.number().nonnegative(),
  evalTokensPerSecond: z.number().nonnegative(),
  peakRssBytes: z.number().int().nonnegative(),
  /** The train steps recomputed each block in the backward pass (gradient checkpointing). */
  checkpointing: z.boolean(),
});
export type BenchReport = z.infer<typeof BenchReport>;

/** A metric that could not be computed, and why (the eval document's `skipped`). */
export const SkippedMetric = z.object({ metric: z.string().min(1), reason: z.string().min(1) });
export type SkippedMetric = z.infer<typeof SkippedMetric>;

const Fraction = z.number().min(0).max(1);

/** The PII probe's prompt kinds (src/worker/metrics/pii-prompts.ts `PII_PROMPT_KINDS`). */
export const PII_PROMPT_KIND_NAMES = [
  'prefix',
  'shortPrefix',
  'question',
  'statement',
  'subject',
] as const;

const PiiRate = z.looseObject({
  probes: z.number().int().nonnegative(),
  leaked: z.number().int().nonnegative(),
  leakRate: Fraction.nullable(),
});

/** `risk.documents.<id>`: one forget document's membership percentile and extraction. */
export const DocumentRiskReport = z.looseObject({
  score: z
    .number()
    .nullable()
    .describe('LOSS-attack member score: −mean NLL over the document’s scored tokens'),
  percentile: z
    .number()
    .min(0)
    .max(100)
    .nullable()
    .describe(
      'mid-rank percentile of the score among the holdout documents’ scores: 50 like an unseen document, 100 above every one',
    ),
  extracted: z
    .boolean()
    .nullable()
    .describe(
      'the verbatim test (greedy 32 → 32 tokens) reproduces a window of the document exactly; null when too short',
    ),
  windows: z.number().int().positive(),
});

/** `sets.<name>` of the eval document. Means are null only for a set with no scored token. */
export const EvalSetReport = z.looseObject({
  documents: z.number().int().nonnegative(),
  tokens: z.number().int().nonnegative(),
  meanNll: z.number().nonnegative().nullable(),
  verbatim: z.looseObject({
    prefixTokens: z.number().int().positive(),
    continuationTokens: z.number().int().positive(),
    rougeL: Fraction.nullable().describe(
      'ROUGE-L F1 of the greedy continuation, rouge_score tokens, no stemming (MUSE VerbMem)',
    ),
    exactRate: Fraction.nullable(),
  }),
  extractionStrength: Fraction.nullable().describe(
    'open-unlearning extraction strength: 1 − k/N over all targets but the last; 1/N when nothing matches',
  ),
  exactMemorization: Fraction.nullable().describe(
    'open-unlearning exact memorization: argmax-correct fraction of all targets but the last',
  ),
  referenceExtractionStrength: Fraction.nullable()
    .optional()
    .describe('extractionStrength of the same windows under the reference model (--reference)'),
  referenceVerbatimExactRate: Fraction.nullable()
    .optional()
    .describe(
      'forget set only: verbatim.exactRate of the same windows under the reference model (--reference), the level the verdict compares with',
    ),
  pii: z
    .looseObject({
      probes: z.number().int().nonnegative(),
      leakRate: Fraction.nullable().describe(
        'share of PII spans the greedy continuation of the true prefix reproduces',
      ),
      anyPrompt: z
        .looseObject({ leaked: z.number().int().nonnegative(), leakRate: Fraction.nullable() })
        .optional()
        .describe(
          'worst case: share of PII spans that any of their prompts (true prefix, shortened prefix, templated questions) leaks',
        ),
      byPrompt: z
        .partialRecord(z.enum(PII_PROMPT_KIND_NAMES), PiiRate)
        .optional()
        .describe('leak rate of each prompt kind, over the spans that had such a prompt'),
      maxPromptsPerSpan: z
        .number()
        .int()
        .positive()
        .optional()
        .describe('the cap on greedy prompts per PII span'),
    })
    .optional(),
});
export type EvalSetReport = z.infer<typeof EvalSetReport>;

export const MiaAttackReport = z.looseObject({
  auc: Fraction,
  tprAt1pctFpr: Fraction,
  referenceAuc: Fraction.optional().describe(
    'the same attack on the same documents under the reference model (loss, zlib, minK; with --reference)',
  ),
  referenceScores: z
    .object({ forget: z.array(z.number()), holdout: z.array(z.number()) })
    .optional()
    .describe(
      'the per-window scores under the reference model, same order as `scores` (with referenceAuc; absent in documents written before it)',
    ),
});

export const KnowMemSet = z.looseObject({
  rougeL: Fraction.describe('mean ROUGE-L F1 (rouge_score tokens, no stemming), MUSE KnowMem'),
  pairs: z.number().int().positive(),
});

export const TruthRatioSet = z.looseObject({
  questions: z.number().int().positive(),
  answerProbability: Fraction.nullable().describe(
    'TOFU "Prob.": mean over questions of P(answer | question)^(1/len), answer tokens and EOS',
  ),
  probed: z
    .number()
    .int()
    .nonnegative()
    .describe('questions with paraphrased_answer and perturbed_answers'),
  statistic: Fraction.optional().describe(
    'TOFU "Truth Ratio": forget mean min(R, 1/R) (1 = cannot tell true from false); retain/holdout mean max(0, 1 − R)',
  ),
  meanRatio: z.number().nonnegative().optional().describe('mean of R'),
});

/**
 * `eval --json`, the metrics document (DESIGN.md §5). The forget set is always there; a metric
 * whose inputs were not given (or that could not be computed) is absent — or null for
 * `privLeak`/`forgetQuality` — and named in `skipped`. Numbers are finite (zod 4 rejects NaN
 * and ±Infinity). More keys are allowed.
 */
export const EvalReport = z
  .looseObject({
    model: z.looseObject({ sha256: z.string().regex(/^[0-9a-f]{64}$/), architecture: z.string() }),
    sets: z.looseObject({
      forget: EvalSetReport,
      retain: EvalSetReport.optional(),
      holdout: EvalSetReport.optional(),
    }),
    knowledge: z
      .looseObject({
        forget: z
          .looseObject({
            rougeL: Fraction.describe('ROUGE-L recall, rouge_score tokens, stemmed (TOFU)'),
          })
          .optional(),
        retain: z
          .looseObject({
            rougeL: Fraction.describe('ROUGE-L recall, rouge_score tokens, stemmed (TOFU)'),
          })
          .optional(),
      })
      .optional(),
    knowMem: z
      .looseObject({
        forget: KnowMemSet.optional(),
        retain: KnowMemSet.optional(),
      })
      .optional()
      .describe(
        'MUSE KnowMem (metrics/knowmem.py): ROUGE-L F1, unstemmed, of greedy answers to "Question: …\\nAnswer: " (zero-shot), as a fraction (MUSE ×100)',
      ),
    truthRatio: z
      .looseObject({
        forget: TruthRatioSet.extend({
          ratios: z
            .array(z.number().nonnegative())
            .optional()
            .describe('per-question truth ratios R of the model: the KS test sample'),
          referenceRatios: z
            .array(z.number().nonnegative())
            .optional()
            .describe('the same under the reference model (--reference): the other KS sample'),
          referenceStatistic: Fraction.optional().describe(
            'the reference model’s mean min(R, 1/R) on the same questions',
          ),
        }).optional(),
        retain: TruthRatioSet.optional(),
        holdout: TruthRatioSet.optional(),
      })
      .optional()
      .describe(
        'TOFU truth ratio R = P̃(perturbed)/P̃(paraphrased), P̃ = P^(1/len), perturbed losses averaged as TOFU’s code (geometric mean); needs paraphrased_answer and perturbed_answers',
      ),
    modelUtility: z
      .looseObject({
        value: Fraction.describe(
          'TOFU model utility: harmonic mean of the components (scipy hmean; 0 if one is 0)',
        ),
        components: z.looseObject({
          answerProbability: Fraction.describe('retain mean P(answer | question)^(1/len)'),
          rougeLRecall: Fraction.describe('retain knowledge.rougeL (ROUGE-L recall, stemmed)'),
          truthRatio: Fraction.describe('retain mean max(0, 1 − R)'),
        }),
        sets: z
          .array(z.string())
          .describe('the QA sets whose components enter (TOFU: retain, real authors, world facts)'),
      })
      .optional(),
    mia: z
      .looseObject({
        loss: MiaAttackReport.optional(),
        zlib: MiaAttackReport.optional(),
        minK: MiaAttackReport.optional(),
        minKpp: MiaAttackReport.optional(),
        reference: MiaAttackReport.optional(),
      })
      .optional(),
    // MUSE's convention (muse_bench eval.py, open-unlearning privacy.py): −100 while the forget
    // set is fully recognised, 0 ideal, positive for over-unlearning (docs/metrics.md).
    privLeak: z
      .number()
      .nullable()
      .describe(
        'MUSE PrivLeak: (AUC_ref − AUC)/(1 − AUC_ref)·100, Min-K% (k = 0.4) AUCs with forget = positive; 0 ideal, −100 still memorized, > 0 over-unlearned',
      ),
    forgetQuality: Fraction.nullable().describe(
      'two-sample KS p-value; forgetQualityDefinition says between what (1 = indistinguishable from the reference)',
    ),
    forgetQualityDefinition: z
      .enum(['tofu-truth-ratio', 'mean-nll-fallback'])
      .nullable()
      .optional()
      .describe(
        'tofu-truth-ratio: KS between the forget truth ratios of model and reference (TOFU); mean-nll-fallback: KS between per-window mean NLLs on the forget documents, used when the QA pairs lack paraphrased/perturbed answers; null without forget quality (absent in documents before issue 16)',
      ),
    risk: z
      .looseObject({
        score: z.literal('loss').describe('the membership score: the LOSS attack'),
        holdoutDocuments: z.number().int().positive(),
        documents: z
          .record(z.string(), DocumentRiskReport)
          .describe('per forget document, keyed by document id (never its text)'),
      })
      .optional()
      .describe(
        'per-document risk of the forget set (ML Privacy Meter style); absent without a holdout set',
      ),
    skipped: z.array(SkippedMetric),
  })
  .superRefine((report, ctx) => {
    const named = new Set(report.skipped.map((s) => s.metric));
    const need = (absent: boolean, metric: string) => {
      if (absent && !named.has(metric))
        ctx.addIssue({ code: 'custom', message: `${metric} is missing but not in skipped` });
    };
    need(report.privLeak === null, 'privLeak');
    need(report.forgetQuality === null, 'forgetQuality');
    need(report.mia === undefined, 'mia');
    need(report.knowledge === undefined, 'knowledge');
  });
export type EvalReport = z.infer<typeof EvalReport>;

/**
 * `prune --json`: the method, the requested target (`pattern` N:M or null for unstructured),
 * the achieved fraction of zeros over all block linear weights, per matrix, and the written
 * folder with the sha256 of its weight files (as `inspect` computes it).
 */
export const PruneReport = z.object({
  method: z.string(),
  target: Fraction,
  pattern: z
    .string()
    .regex(/^\d+:\d+$/)
    .nullable(),
  sparsity: Fraction,
  layers: z.array(z.object({ name: z.string(), sparsity: Fraction })),
  calibration: z
    .object({ sequences: z.number().int().positive(), tokens: z.number().int().positive() })
    .nullable(),
  seconds: z.number().nonnegative(),
  out: z.string(),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
});
export type PruneReport = z.infer<typeof PruneReport>;
