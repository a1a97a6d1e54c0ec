/**
 * The ROC curve of a membership-inference attack from its per-document scores: forget
 * documents are the positive class, holdout documents the negative one, and a higher score
 * means "more likely a member" (src/worker/metrics/mia.ts). The app's results screen and the
 * report's charts both draw it from here.
 */

export interface ScorePair {
  readonly forget: readonly number[];
  readonly holdout: readonly number[];
}

/** ROC points (FPR, TPR) from (0, 0) to (1, 1); tied scores move together, one point each. */
export function roc(scores: ScorePair): [number, number][] {
  const all = [
    ...scores.forget.map((s) => ({ s, member: true })),
    ...scores.holdout.map((s) => ({ s, member: false })),
  ].sort((a, b) => b.s - a.s);
  const points: [number, number][] = [[0, 0]];
  let tp = 0;
  let fp = 0;
  for (let i = 0; i < all.length; i++) {
    if (all[i]!.member) tp++;
    else fp++;
    if (i === all.length - 1 || all[i + 1]!.s !== all[i]!.s)
      points.push([fp / scores.holdout.length, tp / scores.forget.length]);
  }
  return points;
}
