/**
 * The holdout documents of an audit split in two when its method steers itself by documents it
 * never saw (`UnlearningMethod.needsCalibration`): the **calibration** part steers the run (its
 * target loss, its stopping check) and the **evaluation** part is the holdout of the metrics
 * before and after, which the run never reads. Half each (calibration gets the odd one), by a
 * seeded permutation of the documents, each part in file order; the same documents and seed
 * always give the same split.
 */
import { shuffled } from '../unlearn/batch.ts';
import type { Document } from './formats/format.ts';

export interface HoldoutSplit {
  readonly calibration: Document[];
  readonly evaluation: Document[];
}

/** Fewer holdout documents than this cannot be split into two usable parts. */
export const MIN_SPLIT_DOCUMENTS = 4;

export function splitHoldout(documents: readonly Document[], seed: number): HoldoutSplit {
  if (documents.length < MIN_SPLIT_DOCUMENTS)
    throw new RangeError(
      `a holdout of ${documents.length} documents cannot be split; it needs at least ${MIN_SPLIT_DOCUMENTS}`,
    );
  const chosen = new Set(
    shuffled(documents.length, seed).slice(0, Math.ceil(documents.length / 2)),
  );
  return {
    calibration: documents.filter((_, i) => chosen.has(i)),
    evaluation: documents.filter((_, i) => !chosen.has(i)),
  };
}
