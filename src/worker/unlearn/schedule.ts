/**
 * Learning rate per optimizer step and which sequences each micro-batch holds. Both are pure
 * functions of (config, step), so a resumed run sees exactly what an uninterrupted one saw.
 */
import type { RunConfig } from './config.ts';
import { shuffled } from './batch.ts';

/** lr at 0-based optimizer step `step` of `total`: linear warmup, then constant/cosine/linear. */
export function learningRate(config: RunConfig, step: number, total: number): number {
  const { lr, warmupSteps: warmup, schedule } = config;
  if (step < warmup) return (lr * (step + 1)) / warmup;
  if (schedule === 'constant' || total <= warmup) return lr;
  const progress = (step - warmup) / Math.max(1, total - warmup);
  return schedule === 'cosine'
    ? lr * 0.5 * (1 + Math.cos(Math.PI * progress))
    : lr * (1 - progress);
}

export interface BatchPlan {
  readonly microBatchesPerEpoch: number;
  readonly stepsPerEpoch: number;
  readonly totalSteps: number;
  /** The micro-batches of optimizer step `step`: forget rows and retain rows (empty without a retain set). */
  microBatches(step: number): { epoch: number; forget: number[]; retain: number[] }[];
}

/** Seeds for the forget order of an epoch and the retain order of a cycle, apart from each other. */
const forgetSeed = (seed: number, epoch: number) => (seed * 1_000_003 + epoch * 7_919 + 17) >>> 0;
const retainSeed = (seed: number, cycle: number) => (seed * 999_983 + cycle * 104_729 + 31) >>> 0;

/**
 * Each epoch visits every forget sequence once in a seeded order, `batchSize` per micro-batch,
 * `gradAccum` micro-batches per optimizer step (the last step of an epoch may have fewer).
 * Retain rows run alongside, `batchSize` per micro-batch, through seeded reshuffles of the
 * retain set as often as needed.
 */
export function planBatches(
  config: RunConfig,
  forgetCount: number,
  retainCount: number,
): BatchPlan {
  const { batchSize, gradAccum, epochs, seed } = config;
  const microBatchesPerEpoch = Math.ceil(forgetCount / batchSize);
  const stepsPerEpoch = Math.ceil(microBatchesPerEpoch / gradAccum);
  let cached = { cycle: -1, order: [] as number[] };
  const retainRow = (position: number) => {
    const cycle = Math.floor(position / retainCount);
    if (cached.cycle !== cycle)
      cached = { cycle, order: shuffled(retainCount, retainSeed(seed, cycle)) };
    return cached.order[position % retainCount]!;
  };
  return {
    microBatchesPerEpoch,
    stepsPerEpoch,
    totalSteps: stepsPerEpoch * epochs,
    microBatches(step) {
      const epoch = Math.floor(step / stepsPerEpoch);
      const order = shuffled(forgetCount, forgetSeed(seed, epoch));
      const first = (step % stepsPerEpoch) * gradAccum;
      const last = Math.min(first + gradAccum, microBatchesPerEpoch);
      const out = [];
      for (let micro = first; micro < last; micro++) {
        const forget = order.slice(micro * batchSize, (micro + 1) * batchSize);
        const global = epoch * microBatchesPerEpoch + micro; // micro-batches before this one
        const retain =
          retainCount === 0
            ? []
            : Array.from({ length: batchSize }, (_, i) => retainRow(global * batchSize + i));
        out.push({ epoch, forget, retain });
      }
      return out;
    },
  };
}
