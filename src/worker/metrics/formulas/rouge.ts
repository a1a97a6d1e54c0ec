/**
 * ROUGE-L over words (Lin 2004, §3): precision and recall of the longest common subsequence
 * between a candidate and a reference, and their harmonic mean — as Google's `rouge_score`
 * package computes it (`RougeScorer(["rougeL"], use_stemmer=...)`), the implementation TOFU,
 * MUSE and open-unlearning report. ALGORITHMS.md "Metrics" uses the F1 for verbatim
 * continuations (MUSE VerbMem: no stemming) and the recall for QA answers (TOFU: stemming).
 */
import { porterStem } from './porter-stemmer.ts';

export interface RougeScore {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

export interface RougeOptions {
  /**
   * Porter-stem tokens longer than three characters (rouge_score's `use_stemmer=True`, NLTK's
   * stemmer; `porter-stemmer.ts`). Default false.
   */
  readonly stem?: boolean;
}

/**
 * rouge_score's tokenizer: lowercase (`toLowerCase`, locale-independent, as Python's
 * `str.lower`), every run of characters outside `[a-z0-9]` is a separator — punctuation,
 * accented and non-Latin letters included, so they never count as tokens — then, with `stem`,
 * tokens of more than three characters are stemmed. `"Don't stop, 2024!"` → `don t stop 2024`;
 * `"Café"` → `caf`.
 */
export function rougeTokens(text: string, options: RougeOptions = {}): string[] {
  const tokens = text.toLowerCase().match(/[a-z0-9]+/g) ?? [];
  return options.stem === true ? tokens.map((t) => (t.length > 3 ? porterStem(t) : t)) : tokens;
}

/** Length of the longest common subsequence; O(|a|·|b|) time, O(|b|) memory. */
export function lcsLength(a: readonly string[], b: readonly string[]): number {
  let previous = new Array<number>(b.length + 1).fill(0);
  let current = new Array<number>(b.length + 1).fill(0);
  for (const word of a) {
    current[0] = 0;
    for (let j = 1; j <= b.length; j++) {
      current[j] =
        word === b[j - 1]
          ? (previous[j - 1] ?? 0) + 1
          : Math.max(previous[j] ?? 0, current[j - 1] ?? 0);
    }
    [previous, current] = [current, previous];
  }
  return previous[b.length] ?? 0;
}

/**
 * ROUGE-L of `candidate` (the model's output) against `reference` (the truth):
 * precision = LCS/|candidate|, recall = LCS/|reference|, F1 = 2PR/(P+R).
 * Convention for empty token lists (rouge_score's): when either side has no tokens, all three
 * are 0 — including when both are empty.
 */
export function rougeL(
  candidate: string,
  reference: string,
  options: RougeOptions = {},
): RougeScore {
  const cand = rougeTokens(candidate, options);
  const ref = rougeTokens(reference, options);
  if (cand.length === 0 || ref.length === 0) return { precision: 0, recall: 0, f1: 0 };
  const lcs = lcsLength(cand, ref);
  const precision = lcs / cand.length;
  const recall = lcs / ref.length;
  const f1 = precision === 0 || recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
}
