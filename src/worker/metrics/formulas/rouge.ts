/**
 * ROUGE-L over words (Lin 2004, §3): precision and recall of the longest common subsequence
 * between a candidate and a reference, and their harmonic mean. ALGORITHMS.md "Metrics" uses
 * the F1 for verbatim continuations and the recall for QA answers.
 */

export interface RougeScore {
  readonly precision: number;
  readonly recall: number;
  readonly f1: number;
}

/**
 * Tokenization: the text is lowercased (`String.prototype.toLowerCase`, locale-independent),
 * then every maximal run of letters, combining marks and digits (`\p{L}\p{M}\p{N}`) is one
 * token, and every other character that is not whitespace (`\s`) is a token on its own.
 * So `"Don't stop, 2024!"` → `don ' t stop , 2024 !`. Whitespace only separates tokens.
 */
export function rougeTokens(text: string): string[] {
  return text.toLowerCase().match(/[\p{L}\p{M}\p{N}]+|[^\s\p{L}\p{M}\p{N}]/gu) ?? [];
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
 * Convention for empty token lists (that of Google's `rouge-score` package): when either side
 * has no tokens, all three are 0 — including when both are empty.
 */
export function rougeL(candidate: string, reference: string): RougeScore {
  const cand = rougeTokens(candidate);
  const ref = rougeTokens(reference);
  if (cand.length === 0 || ref.length === 0) return { precision: 0, recall: 0, f1: 0 };
  const lcs = lcsLength(cand, ref);
  const precision = lcs / cand.length;
  const recall = lcs / ref.length;
  const f1 = precision === 0 || recall === 0 ? 0 : (2 * precision * recall) / (precision + recall);
  return { precision, recall, f1 };
}
