/**
 * Per-document risk of the forget set (`risk.ts`): each forget document's LOSS-attack
 * percentile among the holdout documents and whether the verbatim test extracts it, keyed by
 * document id (never its text). Runs after the memorization family (its per-window verbatim
 * results) and needs a holdout set.
 */
import { documentRisk, windowDocumentId, type RiskWindow } from '../risk.ts';
import type { MetricFamily, SetWork } from './family.ts';

export const RISK_SCORE = 'loss';

export const risk: MetricFamily = {
  name: 'risk',
  needs: [
    {
      input: 'holdout',
      skipped: [{ metric: 'risk', reason: 'per-document risk needs a holdout set (--holdout)' }],
    },
  ],
  async run({ sets, forget, report, skipped }) {
    const holdout = sets.find((s) => s.name === 'holdout')!;
    const result = documentRisk(riskWindows(forget), riskWindows(holdout));
    if (result === null) {
      skipped.push({ metric: 'risk', reason: 'no holdout document has a scored token' });
      return;
    }
    report.risk = {
      score: RISK_SCORE,
      holdoutDocuments: result.holdoutDocuments,
      documents: result.documents,
    };
  },
};

function riskWindows(set: SetWork): RiskWindow[] {
  const exact = new Map((set.verbatim ?? []).map((v) => [v.index, v.exact]));
  return set.windows.map((w, i) => ({
    documentId: windowDocumentId(w.id),
    logProbs: set.stats[i]!.logProbs,
    exact: exact.get(i) ?? null,
  }));
}
