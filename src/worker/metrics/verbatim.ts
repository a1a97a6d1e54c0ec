/**
 * Verbatim memorization (DESIGN.md §5 `sets.<name>.verbatim`; ALGORITHMS.md "Metrics",
 * `verbatim.rougeL` / `verbatim.exactRate`; MUSE VerbMem, Carlini et al. 2022's discoverable
 * memorization): give the model the first p tokens of a document, decode c tokens greedily,
 * compare with the c tokens that really follow.
 *
 * Conventions (per document, `ids` = its token ids exactly as scored, i.e. with the tokenizer's
 * framing such as BOS, which therefore counts among the p prompt tokens):
 * - prompt = ids[0 .. p), truth = ids[p .. p + c_d) with c_d = min(c, len − p);
 *   documents with len ≤ p have no continuation and are skipped (counted in `skipped`).
 * - generation: greedy, exactly c_d new tokens, no stop token (an early EOS is simply a wrong
 *   token); fewer when the model's positions run out, which then counts as a mismatch. Every
 *   prompt has p tokens, so documents are decoded `batchSize` at a time with one KV cache
 *   (`greedyGenerateBatch`, c = max c_d of the batch, each row cut to its c_d): greedy decoding
 *   of a row does not depend on the other rows.
 * - `exact`: the generated ids equal the true ids (same length, same ids).
 * - `rougeL`: ROUGE-L F1 (`formulas/rouge.ts`, rouge_score's tokenizer without stemming, as
 *   MUSE's VerbMem: muse_bench `metrics/logger.py`, `use_stemmer=False`) of the generated ids'
 *   decoded text against the true ids' decoded text, both decoded with special tokens skipped.
 * - aggregates: plain means over the scored documents (`rougeL`, `exactRate`); null when no
 *   document was scored. `continuationTokens` is the configured c (documents shorter than
 *   p + c use fewer; `meanContinuationTokens` says how many on average).
 */
import type { CausalLM } from '../model/architectures/types.ts';
import { greedyGenerateBatch } from '../model/generate.ts';
import { rougeL } from './formulas/rouge.ts';

export const VERBATIM_PREFIX_TOKENS = 32;
export const VERBATIM_CONTINUATION_TOKENS = 32;

/** What verbatim needs of a tokenizer: `Tokenizer` is one. */
export interface VerbatimDecoder {
  decode(ids: readonly number[], options?: { skipSpecialTokens?: boolean }): string;
}

export interface VerbatimOptions {
  /** Prompt tokens p (default 32). */
  readonly prefixTokens?: number;
  /** Continuation tokens c (default 32). */
  readonly continuationTokens?: number;
  /** Documents decoded together (default 32: a decode step is bound by reading the weights). */
  readonly batchSize?: number;
  /** Called after each document with the number done and the total. */
  readonly onProgress?: (done: number, total: number) => void;
}

export interface VerbatimDocument {
  /** Index of the document in the input. */
  readonly index: number;
  /** c_d: the true continuation's length. */
  readonly continuationTokens: number;
  /** Tokens actually generated (< c_d only when the model's positions ran out). */
  readonly generatedTokens: number;
  readonly rougeL: number;
  readonly exact: boolean;
}

export interface VerbatimResult {
  readonly prefixTokens: number;
  readonly continuationTokens: number;
  /** Mean ROUGE-L F1 over scored documents. */
  readonly rougeL: number | null;
  /** Fraction of scored documents reproduced exactly. */
  readonly exactRate: number | null;
  /** Documents with at least one continuation token. */
  readonly scored: number;
  /** Documents of p tokens or fewer. */
  readonly skipped: number;
  readonly meanContinuationTokens: number | null;
  readonly perDocument: VerbatimDocument[];
}

function checkCount(value: number, name: string): void {
  if (!(Number.isInteger(value) && value >= 1)) {
    throw new Error(`verbatim: ${name} must be a positive integer, got ${value}`);
  }
}

export async function verbatimMemorization(
  model: CausalLM,
  tokenizer: VerbatimDecoder,
  documents: readonly (readonly number[])[],
  options: VerbatimOptions = {},
): Promise<VerbatimResult> {
  const p = options.prefixTokens ?? VERBATIM_PREFIX_TOKENS;
  const c = options.continuationTokens ?? VERBATIM_CONTINUATION_TOKENS;
  checkCount(p, 'prefixTokens');
  checkCount(c, 'continuationTokens');

  const batchSize = options.batchSize ?? 32;
  checkCount(batchSize, 'batchSize');
  const perDocument: VerbatimDocument[] = [];
  const scorable = [...documents.keys()].filter((i) => documents[i]!.length > p);
  const skipped = documents.length - scorable.length;
  for (let start = 0; start < scorable.length; start += batchSize) {
    const rows = scorable.slice(start, start + batchSize);
    const truths = rows.map((i) =>
      documents[i]!.slice(p, p + Math.min(c, documents[i]!.length - p)),
    );
    const longest = Math.max(...truths.map((t) => t.length));
    const generatedRows = await greedyGenerateBatch(
      model,
      rows.map((i) => documents[i]!.slice(0, p)),
      longest,
    );
    rows.forEach((index, r) => {
      const truth = truths[r]!;
      const generated = generatedRows[r]!.slice(0, truth.length);
      const exact =
        generated.length === truth.length && generated.every((id, i) => id === truth[i]);
      const score = rougeL(
        tokenizer.decode(generated, { skipSpecialTokens: true }),
        tokenizer.decode(truth, { skipSpecialTokens: true }),
      ).f1;
      perDocument.push({
        index,
        continuationTokens: truth.length,
        generatedTokens: generated.length,
        rougeL: score,
        exact,
      });
    });
    options.onProgress?.(skipped + Math.min(start + batchSize, scorable.length), documents.length);
  }
  if (scorable.length === 0) options.onProgress?.(documents.length, documents.length);

  const n = perDocument.length;
  const mean = (f: (d: VerbatimDocument) => number): number | null =>
    n === 0 ? null : perDocument.reduce((sum, d) => sum + f(d), 0) / n;
  return {
    prefixTokens: p,
    continuationTokens: c,
    rougeL: mean((d) => d.rougeL),
    exactRate: mean((d) => (d.exact ? 1 : 0)),
    scored: n,
    skipped,
    meanContinuationTokens: mean((d) => d.continuationTokens),
    perDocument,
  };
}
