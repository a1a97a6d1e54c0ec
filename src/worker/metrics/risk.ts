/**
 * Per-document risk of the forget set (ML Privacy Meter's per-record view): for each forget
 * document, how it ranks among never-seen holdout documents under the LOSS attack, and whether
 * the verbatim test still extracts it.
 *
 * - Score: the LOSS attack's membership score (Yeom et al. 2018; `mia.loss`), member score
 *   = −(mean NLL) = the mean log-probability over every scored target token of the document (a
 *   long document's windows pooled, token-weighted; one window in most cases, where it is
 *   exactly the window's `mia.loss` score). Higher = more likely a member.
 * - Percentile: 100 · (#{holdout scores < s} + ½ · #{holdout scores = s}) / #holdout, the
 *   mid-rank percentile of s among the holdout documents' scores. 50 ≈ indistinguishable from
 *   an unseen document; 100 = above every unseen one. Averaged over the forget documents (with
 *   one window each) it is 100 × the loss attack's AUC.
 * - Extracted: the verbatim test (`verbatim.ts`: greedy 32 → 32 tokens) reproduces any window of
 *   the document exactly; null when no window is long enough for the test.
 * A document with no scored token has score and percentile null.
 */

/** One scored window, as the eval cut it: its document, token log-probs, verbatim result. */
export interface RiskWindow {
  readonly documentId: string;
  readonly logProbs: readonly number[];
  /** Verbatim exact (null: the window is too short for the verbatim test). */
  readonly exact: boolean | null;
}

export interface DocumentRisk {
  /** −mean NLL over the document's scored tokens; null when it has none. */
  readonly score: number | null;
  /** Percentile (0–100) of `score` among the holdout documents' scores. */
  readonly percentile: number | null;
  readonly extracted: boolean | null;
  readonly windows: number;
}

export interface RiskResult {
  /** Holdout documents with a score (the percentiles' reference). */
  readonly holdoutDocuments: number;
  /** Forget documents by id, in input order. */
  readonly documents: Record<string, DocumentRisk>;
}

/** Mid-rank percentile (0–100) of `score` among `reference`; throws on an empty reference. */
export function percentileRank(score: number, reference: readonly number[]): number {
  if (reference.length === 0) throw new Error('percentile: no reference scores');
  let below = 0;
  let equal = 0;
  for (const r of reference) {
    if (r < score) below++;
    else if (r === score) equal++;
  }
  return (100 * (below + equal / 2)) / reference.length;
}

/** Per document id, in first-seen order: pooled score, extraction, window count. */
export function documentScores(
  windows: readonly RiskWindow[],
): Map<string, { score: number | null; extracted: boolean | null; windows: number }> {
  const acc = new Map<string, { sum: number; n: number; exact: boolean | null; windows: number }>();
  for (const w of windows) {
    const a = acc.get(w.documentId) ?? { sum: 0, n: 0, exact: null, windows: 0 };
    for (const lp of w.logProbs) a.sum += lp;
    a.n += w.logProbs.length;
    if (w.exact !== null) a.exact = (a.exact ?? false) || w.exact;
    a.windows++;
    acc.set(w.documentId, a);
  }
  const out = new Map<
    string,
    { score: number | null; extracted: boolean | null; windows: number }
  >();
  for (const [id, a] of acc) {
    const score = a.n === 0 ? null : a.sum / a.n;
    out.set(id, {
      score: score !== null && Number.isFinite(score) ? score : null,
      extracted: a.exact,
      windows: a.windows,
    });
  }
  return out;
}

/** The per-document risk of `forget` against `holdout`; null when no holdout document scores. */
export function documentRisk(
  forget: readonly RiskWindow[],
  holdout: readonly RiskWindow[],
): RiskResult | null {
  const reference = [...documentScores(holdout).values()]
    .map((d) => d.score)
    .filter((s): s is number => s !== null);
  if (reference.length === 0) return null;
  const documents: Record<string, DocumentRisk> = {};
  for (const [id, d] of documentScores(forget)) {
    documents[id] = {
      score: d.score,
      percentile: d.score === null ? null : percentileRank(d.score, reference),
      extracted: d.extracted,
      windows: d.windows,
    };
  }
  return { holdoutDocuments: reference.length, documents };
}

/** The document id of a window id `<document id>#<chunk>` (eval.ts). */
export function windowDocumentId(windowId: string): string {
  const hash = windowId.lastIndexOf('#');
  return hash < 0 ? windowId : windowId.slice(0, hash);
}
