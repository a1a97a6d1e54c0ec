/**
 * Membership-inference attacks of the `eval` document (ALGORITHMS.md "Metrics", DESIGN.md §5
 * `mia`): forget documents are the positive class, holdout documents the negative one, and
 * every score is "higher = more likely a member". For each attack: the per-document scores of
 * both sets, the AUC and the TPR at 1% FPR.
 *
 * An attack whose inputs are missing (no texts for zlib, no (μ, σ) for Min-K%++, no reference
 * model for `reference`) or whose scores cannot be computed (an empty set, a non-finite score)
 * is listed in `skipped` with the reason instead: no NaN or ±Infinity ever reaches a result.
 * Documents with no scored token (fewer than two tokens) have no score under any attack; they
 * are left out of every attack and listed in `excluded`.
 */
import {
  auc as rocAuc,
  lossScore,
  MIN_K_FRACTION,
  minKppScore,
  minKScore,
  referenceScore,
  tprAtFpr,
  privLeak,
  zlibScore,
} from './formulas/index.ts';
import { momentsOf } from './token-stats.ts';

export const MIA_ATTACKS = ['loss', 'zlib', 'minK', 'minKpp', 'reference'] as const;
export type MiaAttack = (typeof MIA_ATTACKS)[number];

/** What an attack needs of one document: `TokenStats` is one. */
export interface MiaTokenStats {
  /** log p(x_t | x_<t) of the scored tokens (t ≥ 1). */
  readonly logProbs: readonly number[];
  /** μ_t, σ_t per scored token (Min-K%++ only). */
  readonly mu?: readonly number[];
  readonly sigma?: readonly number[];
}

export interface MiaSet {
  /** One entry per document, under the model being evaluated. */
  readonly stats: readonly MiaTokenStats[];
  /** The documents' texts, same order (zlib only). */
  readonly texts?: readonly string[];
  /** The same documents under the reference model, same order (reference and privLeak). */
  readonly referenceStats?: readonly MiaTokenStats[];
}

export interface MiaOptions {
  /** Min-K% and Min-K%++ fraction (default 0.4). */
  readonly k?: number;
  /** FPR of `tprAt1pctFpr` (default 0.01). */
  readonly maxFpr?: number;
}

export interface MiaAttackResult {
  readonly auc: number;
  readonly tprAt1pctFpr: number;
  /**
   * The same attack's AUC on the same documents under the reference model (a model that never
   * saw the forget set), when reference stats are given: loss, zlib and Min-K% only.
   */
  readonly referenceAuc?: number;
  /**
   * The same attack's per-document scores under the reference model, same order as `scores`
   * (with `referenceAuc`): the report draws the reference's ROC curve from them.
   */
  readonly referenceScores?: { readonly forget: number[]; readonly holdout: number[] };
  /** Per-document scores, in input order without the excluded documents. */
  readonly scores: { readonly forget: number[]; readonly holdout: number[] };
}

export interface Skipped {
  /** The metric's key in the eval document, e.g. `mia.zlib`. */
  readonly metric: string;
  readonly reason: string;
}

export interface MiaResult {
  readonly attacks: Partial<Record<MiaAttack, MiaAttackResult>>;
  /**
   * MUSE's PrivLeak, (AUC_ref − AUC_model)/(1 − AUC_ref) × 100 with the Min-K% attack
   * (`formulas/memorization.ts`), when reference stats are given (ALGORITHMS.md `privLeak`):
   * about −100 while the forget set is still recognised, 0 ideal, positive for over-unlearning;
   * null otherwise, with the reason in `skipped`.
   */
  readonly privLeak: number | null;
  readonly skipped: Skipped[];
  /** Indices of documents with no scored token, left out of every attack. */
  readonly excluded: { readonly forget: number[]; readonly holdout: number[] };
}

type DocScore = (doc: number, set: MiaSet) => number;

/** Runs every attack on `forget` (positives) against `holdout` (negatives). */
export function membershipInference(
  forget: MiaSet,
  holdout: MiaSet,
  options: MiaOptions = {},
): MiaResult {
  const k = options.k ?? MIN_K_FRACTION;
  const maxFpr = options.maxFpr ?? 0.01;
  checkAligned(forget, 'forget');
  checkAligned(holdout, 'holdout');
  const kept = { forget: scoredDocuments(forget), holdout: scoredDocuments(holdout) };
  const excluded = {
    forget: forget.stats.map((_, i) => i).filter((i) => !kept.forget.includes(i)),
    holdout: holdout.stats.map((_, i) => i).filter((i) => !kept.holdout.includes(i)),
  };

  const attacks: Partial<Record<MiaAttack, MiaAttackResult>> = {};
  const skipped: Skipped[] = [];
  const logProbs = (doc: number, set: MiaSet) => set.stats[doc]!.logProbs;
  const missing = (attack: MiaAttack): string | null => {
    const lacking = (what: string, has: (set: MiaSet) => boolean): string | null => {
      const sets = (['forget', 'holdout'] as const).filter(
        (name) => !has(name === 'forget' ? forget : holdout),
      );
      return sets.length === 0 ? null : `no ${what} for the ${sets.join(' and ')} set`;
    };
    switch (attack) {
      case 'loss':
      case 'minK':
        return null;
      case 'zlib':
        return lacking('document texts', (set) => set.texts !== undefined);
      case 'minKpp':
        return lacking('vocabulary moments (μ, σ)', (set) =>
          set.stats.every((s) => s.mu !== undefined && s.sigma !== undefined),
        );
      case 'reference':
        return lacking('reference-model stats', (set) => set.referenceStats !== undefined);
    }
  };
  const scorers: Record<MiaAttack, DocScore> = {
    loss: (doc, set) => lossScore(logProbs(doc, set)),
    zlib: (doc, set) => zlibScore(logProbs(doc, set), set.texts![doc]!),
    minK: (doc, set) => minKScore(logProbs(doc, set), k),
    minKpp: (doc, set) => {
      const s = set.stats[doc]!;
      return minKppScore(s.logProbs, momentsOf({ mu: s.mu!, sigma: s.sigma! }), k);
    },
    reference: (doc, set) => referenceScore(logProbs(doc, set), set.referenceStats![doc]!.logProbs),
  };

  for (const attack of MIA_ATTACKS) {
    const metric = `mia.${attack}`;
    const why = missing(attack);
    if (why !== null) {
      skipped.push({ metric, reason: why });
      continue;
    }
    const result = evaluate(scorers[attack], forget, holdout, kept, maxFpr);
    if ('reason' in result) skipped.push({ metric, reason: result.reason });
    else attacks[attack] = result;
  }

  // What a model that never saw the forget set scores with the same attacks.
  if (forget.referenceStats !== undefined && holdout.referenceStats !== undefined) {
    const referenceLogProbs = (doc: number, set: MiaSet) => set.referenceStats![doc]!.logProbs;
    const onReference: Partial<Record<MiaAttack, DocScore>> = {
      loss: (doc, set) => lossScore(referenceLogProbs(doc, set)),
      zlib: (doc, set) => zlibScore(referenceLogProbs(doc, set), set.texts![doc]!),
      minK: (doc, set) => minKScore(referenceLogProbs(doc, set), k),
    };
    for (const [attack, score] of Object.entries(onReference) as [MiaAttack, DocScore][]) {
      const own = attacks[attack];
      if (own === undefined) continue;
      const ref = evaluate(score, forget, holdout, kept, maxFpr);
      if ('reason' in ref)
        skipped.push({
          metric: `mia.${attack}.referenceAuc`,
          reason: `reference model: ${ref.reason}`,
        });
      else attacks[attack] = { ...own, referenceAuc: ref.auc, referenceScores: ref.scores };
    }
  }

  let leak: number | null = null;
  const minK = attacks.minK;
  if (forget.referenceStats === undefined || holdout.referenceStats === undefined) {
    skipped.push({ metric: 'privLeak', reason: 'no reference-model stats' });
  } else if (minK === undefined) {
    skipped.push({ metric: 'privLeak', reason: 'the Min-K% attack was skipped' });
  } else {
    const ref = evaluate(
      (doc, set) => minKScore(set.referenceStats![doc]!.logProbs, k),
      forget,
      holdout,
      kept,
      maxFpr,
    );
    if ('reason' in ref) {
      skipped.push({ metric: 'privLeak', reason: `reference model: ${ref.reason}` });
    } else if (ref.auc === 1 && minK.auc !== 1) {
      skipped.push({
        metric: 'privLeak',
        reason: 'the reference model’s Min-K% AUC is 1: PrivLeak divides by 1 − AUC_ref',
      });
    } else {
      leak = privLeak(minK.auc, ref.auc);
    }
  }
  return { attacks, privLeak: leak, skipped, excluded };
}

function evaluate(
  score: DocScore,
  forget: MiaSet,
  holdout: MiaSet,
  kept: { forget: number[]; holdout: number[] },
  maxFpr: number,
): MiaAttackResult | { reason: string } {
  try {
    const scores = {
      forget: kept.forget.map((doc) => score(doc, forget)),
      holdout: kept.holdout.map((doc) => score(doc, holdout)),
    };
    for (const [name, values] of Object.entries(scores)) {
      if (values.length === 0) return { reason: `no ${name} document with a scored token` };
      const bad = values.findIndex((v) => !Number.isFinite(v));
      if (bad >= 0) return { reason: `${name} document ${bad} has score ${values[bad]}` };
    }
    return {
      auc: rocAuc(scores.forget, scores.holdout),
      tprAt1pctFpr: tprAtFpr(scores.forget, scores.holdout, maxFpr),
      scores,
    };
  } catch (error) {
    return { reason: error instanceof Error ? error.message : String(error) };
  }
}

/** Indices of documents with at least one scored token (also under the reference model). */
function scoredDocuments(set: MiaSet): number[] {
  return set.stats
    .map((_, i) => i)
    .filter(
      (i) =>
        set.stats[i]!.logProbs.length > 0 &&
        (set.referenceStats === undefined || set.referenceStats[i]!.logProbs.length > 0),
    );
}

/** Texts and reference stats, when given, must be one per document: a caller's bug otherwise. */
function checkAligned(set: MiaSet, name: string): void {
  const n = set.stats.length;
  if (set.texts !== undefined && set.texts.length !== n) {
    throw new Error(`MIA: ${name} set has ${n} documents but ${set.texts.length} texts`);
  }
  if (set.referenceStats !== undefined && set.referenceStats.length !== n) {
    throw new Error(
      `MIA: ${name} set has ${n} documents but ${set.referenceStats.length} reference-model stats`,
    );
  }
  set.stats.forEach((s, i) => {
    for (const key of ['mu', 'sigma'] as const) {
      const values = s[key];
      if (values !== undefined && values.length !== s.logProbs.length) {
        throw new Error(
          `MIA: ${name} document ${i} has ${s.logProbs.length} log-probs but ${values.length} ${key}`,
        );
      }
    }
  });
}
