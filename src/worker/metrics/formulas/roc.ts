/**
 * ROC summaries of a membership-inference score (ALGORITHMS.md "Metrics", DESIGN.md §5):
 * positives are forget documents, negatives are holdout documents, and a higher score means
 * "more likely a member". Empty sets or NaN scores throw; the caller reports the metric as
 * `skipped` with the error's message.
 */

export interface RocPoint {
  /** Documents are flagged when `score > threshold`. */
  readonly threshold: number;
  readonly fpr: number;
  readonly tpr: number;
}

function checkScores(positives: readonly number[], negatives: readonly number[]): void {
  if (positives.length === 0) throw new Error('ROC: no positive (forget) scores');
  if (negatives.length === 0) throw new Error('ROC: no negative (holdout) scores');
  for (const s of [...positives, ...negatives]) {
    if (Number.isNaN(s)) throw new Error('ROC: a score is NaN');
  }
}

const ascending = (a: number, b: number): number => a - b;

/** Number of entries of the ascending `sorted` that are `< x` (lower bound). */
function countBelow(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** Number of entries of the ascending `sorted` that are `<= x` (upper bound). */
function countAtOrBelow(sorted: readonly number[], x: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((sorted[mid] as number) <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * AUC = P(score(pos) > score(neg)) + ½·P(score(pos) = score(neg)) over all n·m pairs (the
 * Mann–Whitney U statistic over n·m). Sorts the negatives and binary-searches each positive:
 * O((n + m) log m). Pair counts are kept doubled as integers, so the result is exact up to the
 * final division.
 */
export function auc(positives: readonly number[], negatives: readonly number[]): number {
  checkScores(positives, negatives);
  const neg = [...negatives].sort(ascending);
  let doubledWins = 0; // 2·#(pos > neg) + #(pos = neg)
  for (const p of positives) {
    const below = countBelow(neg, p);
    const ties = countAtOrBelow(neg, p) - below;
    doubledWins += 2 * below + ties;
  }
  return doubledWins / (2 * positives.length * negatives.length);
}

/**
 * The operating point with the highest TPR among thresholds that flag at most `maxFpr` of the
 * negatives, where a document is flagged when `score > threshold` (strictly).
 *
 * With m negatives, at most a = ⌊maxFpr·m⌋ may be flagged (a relative 1e-9 slack absorbs
 * rounding, so 0.03·100 allows 3). Sorting negatives in descending order n₍₀₎ ≥ n₍₁₎ ≥ …, the
 * lowest admissible threshold is n₍ₐ₎: it flags only negatives strictly above it (≤ a of them,
 * fewer when n₍ₐ₎ is tied with higher ones), and any lower threshold flags n₍₀₎…n₍ₐ₎, i.e. a+1.
 * When a ≥ m every document may be flagged and the threshold is −∞.
 */
export function operatingPointAtFpr(
  positives: readonly number[],
  negatives: readonly number[],
  maxFpr = 0.01,
): RocPoint {
  checkScores(positives, negatives);
  if (!(maxFpr >= 0 && maxFpr <= 1)) throw new Error(`ROC: maxFpr ${maxFpr} is not in [0, 1]`);
  const m = negatives.length;
  const allowed = Math.floor(maxFpr * m * (1 + 1e-9));
  const descending = [...negatives].sort((a, b) => b - a);
  const threshold = allowed >= m ? -Infinity : (descending[allowed] as number);
  const flaggedNeg = negatives.filter((s) => s > threshold).length;
  const flaggedPos = positives.filter((s) => s > threshold).length;
  return { threshold, fpr: flaggedNeg / m, tpr: flaggedPos / positives.length };
}

/** TPR at the threshold where at most `maxFpr` of negatives are flagged; see `operatingPointAtFpr`. */
export function tprAtFpr(
  positives: readonly number[],
  negatives: readonly number[],
  maxFpr = 0.01,
): number {
  return operatingPointAtFpr(positives, negatives, maxFpr).tpr;
}

/**
 * The empirical ROC curve for plots: one point per threshold in {distinct scores, descending}
 * ∪ {−∞}, flagging `score > threshold`. It starts at (0, 0) (threshold = the highest score)
 * and ends at (1, 1) (threshold −∞); tied scores give diagonal segments, so the trapezoidal
 * area under the points equals `auc`.
 */
export function rocCurve(positives: readonly number[], negatives: readonly number[]): RocPoint[] {
  checkScores(positives, negatives);
  const pos = [...positives].sort(ascending);
  const neg = [...negatives].sort(ascending);
  const distinct = [...new Set([...pos, ...neg])].sort((a, b) => b - a);
  const points: RocPoint[] = [];
  for (const threshold of [...distinct, -Infinity]) {
    points.push({
      threshold,
      fpr: (neg.length - countAtOrBelow(neg, threshold)) / neg.length,
      tpr: (pos.length - countAtOrBelow(pos, threshold)) / pos.length,
    });
  }
  return points;
}
