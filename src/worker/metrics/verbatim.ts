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
 *   token); fewer when the model's positions run out, which then counts as a mismatch.
 *   Documents are decoded many at a time with one KV cache (`greedyGenerateMany`): greedy
 *   decoding of a row does not depend on the other rows.
 * - `exact`: the generated ids equal the true ids (same length, same ids).
 * - `rougeL`: ROUGE-L F1 (`formulas/rouge.ts`, rouge_score's tokenizer without stemming, as
 *   MUSE's VerbMem: muse_bench `metrics/logger.py`, `use_stemmer=False`) of the generated ids'
 *   decoded text against the true ids' decoded text, both decoded with special tokens skipped.
 * - aggregates: plain means over the scored documents (`rougeL`, `exactRate`); null when no
 *   document was scored. `continuationTokens` is the configured c (documents shorter than
 *   p + c use fewer; `meanContinuationTokens` says how many on average).
 */
import type { CausalLM } from '../model/architectures/types.ts';
import { greedyGenerateMany } from '../model/generate.ts';
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
  /** At most this many documents decoded together (default `DECODE_ROWS`). */
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
  const [result] = await verbatimOfSets(model, tokenizer, [documents], options);
  return result!;
}

/**
 * `verbatimMemorization` of several sets with one batched decoding over all their documents
 * (a decode step costs about the same for 128 rows as for 10, so the forget set's few
 * documents ride along with the retain set's); one result per set, as each would be alone.
 * `onProgress` counts the documents of all sets.
 */
export async function verbatimOfSets(
  model: CausalLM,
  tokenizer: VerbatimDecoder,
  sets: readonly (readonly (readonly number[])[])[],
  options: VerbatimOptions = {},
): Promise<VerbatimResult[]> {
  const p = options.prefixTokens ?? VERBATIM_PREFIX_TOKENS;
  const c = options.continuationTokens ?? VERBATIM_CONTINUATION_TOKENS;
  checkCount(p, 'prefixTokens');
  checkCount(c, 'continuationTokens');
  if (options.batchSize !== undefined) checkCount(options.batchSize, 'batchSize');

  // Every scorable document of every set, its prompt and its true continuation.
  const rows = sets.flatMap((documents, set) =>
    [...documents.keys()]
      .filter((index) => documents[index]!.length > p)
      .map((index) => {
        const ids = documents[index]!;
        return { set, index, prompt: ids.slice(0, p), truth: ids.slice(p, p + c) };
      }),
  );
  const total = sets.reduce((sum, documents) => sum + documents.length, 0);
  const skipped = total - rows.length;
  const generated = await greedyGenerateMany(
    model,
    rows.map((row) => ({ prompt: row.prompt, maxNewTokens: row.truth.length })),
    {
      ...(options.batchSize === undefined ? {} : { batchSize: options.batchSize }),
      onProgress: (done) => options.onProgress?.(skipped + done, total),
    },
  );
  if (rows.length === 0) options.onProgress?.(total, total);

  const perSet: VerbatimDocument[][] = sets.map(() => []);
  rows.forEach((row, r) => {
    const truth = row.truth;
    const out = generated[r]!;
    const exact = out.length === truth.length && out.every((id, i) => id === truth[i]);
    const score = rougeL(
      tokenizer.decode(out, { skipSpecialTokens: true }),
      tokenizer.decode(truth, { skipSpecialTokens: true }),
    ).f1;
    perSet[row.set]!.push({
      index: row.index,
      continuationTokens: truth.length,
      generatedTokens: out.length,
      rougeL: score,
      exact,
    });
  });
  return perSet.map((perDocument, set) => summarize(perDocument, sets[set]!.length, p, c));
}

function summarize(
  perDocument: VerbatimDocument[],
  documents: number,
  p: number,
  c: number,
): VerbatimResult {
  const n = perDocument.length;
  const mean = (f: (d: VerbatimDocument) => number): number | null =>
    n === 0 ? null : perDocument.reduce((sum, d) => sum + f(d), 0) / n;
  return {
    prefixTokens: p,
    continuationTokens: c,
    rougeL: mean((d) => d.rougeL),
    exactRate: mean((d) => (d.exact ? 1 : 0)),
    scored: n,
    skipped: documents - n,
    meanContinuationTokens: mean((d) => d.continuationTokens),
    perDocument,
  };
}
