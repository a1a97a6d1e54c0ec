/**
 * Teacher-forced summary of one evaluation set (DESIGN.md §5 `eval --json`,
 * `sets.<name>.{documents, tokens, meanNll, exactMemorization, extractionStrength}`;
 * ALGORITHMS.md "Metrics") from the per-document token statistics of `computeTokenStats`.
 *
 * Conventions:
 * - `documents`: every document of the set, including ones with no scored token.
 * - `tokens`: the scored target tokens, Σ_d max(n_d − 1, 0) — every token of a sequence except
 *   its first (the first, usually BOS, has no context and is never predicted).
 * - `meanNll`: token-weighted, −(Σ_d Σ_t log p(x_t | x_<t)) / tokens, so long documents weigh
 *   more (the set's per-token cross-entropy; exp(meanNll) is its perplexity).
 * - `exactMemorization`, `extractionStrength`: document-weighted, the mean over scored
 *   documents of each document's value (`formulas/memorization.ts`: open-unlearning's, over all
 *   targets but the last), as open-unlearning and TOFU average per-sample scores. A document
 *   with a single target has nothing left to count: open-unlearning leaves it out of the exact
 *   memorization mean and counts it as 0 in the extraction-strength mean, and so do we.
 * - Documents with no target token (fewer than two tokens) count in `documents` but in none of
 *   the means; `scoredDocuments` says how many did. With no scored token at all the three
 *   means are null (never NaN).
 */
import { exactMemorization, extractionStrength } from './formulas/memorization.ts';

/** What the set summary needs of one document: `TokenStats` is one. */
export interface SetTokenStats {
  readonly logProbs: readonly number[];
  readonly argmaxCorrect: readonly boolean[];
}

export interface SetMetrics {
  readonly documents: number;
  /** Documents with at least one scored target token. */
  readonly scoredDocuments: number;
  /** Scored target tokens (all but the first of each document). */
  readonly tokens: number;
  /** Token-weighted mean negative log-likelihood (nats). */
  readonly meanNll: number | null;
  /** Mean over documents with two or more targets of the fraction of argmax-correct targets. */
  readonly exactMemorization: number | null;
  /** Mean over scored documents of 1 − k/N (open-unlearning's extraction strength). */
  readonly extractionStrength: number | null;
}

export function setMetrics(stats: readonly SetTokenStats[]): SetMetrics {
  let tokens = 0;
  let nllSum = 0;
  let emSum = 0;
  let emDocuments = 0;
  let esSum = 0;
  let scored = 0;
  stats.forEach((doc, i) => {
    if (doc.logProbs.length !== doc.argmaxCorrect.length) {
      throw new Error(
        `set metrics: document ${i} has ${doc.logProbs.length} log-probs but ${doc.argmaxCorrect.length} argmax flags`,
      );
    }
    if (doc.logProbs.length === 0) return;
    for (const lp of doc.logProbs) {
      if (!Number.isFinite(lp) && lp !== -Infinity) {
        throw new Error(`set metrics: document ${i} has log-prob ${lp}`);
      }
      nllSum -= lp;
    }
    tokens += doc.logProbs.length;
    const em = exactMemorization(doc.argmaxCorrect);
    if (em !== null) {
      emSum += em;
      emDocuments++;
    }
    esSum += extractionStrength(doc.argmaxCorrect);
    scored++;
  });
  return {
    documents: stats.length,
    scoredDocuments: scored,
    tokens,
    meanNll: tokens === 0 ? null : nllSum / tokens,
    exactMemorization: emDocuments === 0 ? null : emSum / emDocuments,
    extractionStrength: scored === 0 ? null : esSum / scored,
  };
}
