/**
 * The learning-rate schedule and the batch plan (schedule.ts) against values worked out by hand:
 * warmup then constant/cosine/linear; every forget sequence once per epoch in a seeded order
 * that differs between epochs; gradAccum micro-batches per step; retain rows through the whole
 * retain set before any repeats.
 */
import { describe, expect, it } from 'vitest';
import { DEFAULT_CONFIG, type RunConfig } from '../../src/worker/unlearn/config.ts';
import { learningRate, planBatches } from '../../src/worker/unlearn/schedule.ts';

const config = (over: Partial<RunConfig>): RunConfig => ({ ...DEFAULT_CONFIG, ...over });

describe('learningRate', () => {
  it('warms up linearly over warmupSteps, reaching lr at the last warmup step', () => {
    const c = config({ lr: 1e-3, warmupSteps: 4, schedule: 'constant' });
    expect([0, 1, 2, 3].map((s) => learningRate(c, s, 10))).toEqual([2.5e-4, 5e-4, 7.5e-4, 1e-3]);
    expect(learningRate(c, 4, 10)).toBe(1e-3);
    expect(learningRate(c, 9, 10)).toBe(1e-3);
  });

  it('cosine decays from lr after warmup to near 0 at the end', () => {
    const c = config({ lr: 1, warmupSteps: 2, schedule: 'cosine' });
    // total 10, warmup 2: progress = (step − 2)/8
    expect(learningRate(c, 2, 10)).toBeCloseTo(1, 12);
    expect(learningRate(c, 6, 10)).toBeCloseTo(0.5, 12); // progress 1/2
    expect(learningRate(c, 4, 10)).toBeCloseTo(0.5 * (1 + Math.cos(Math.PI / 4)), 12);
    expect(learningRate(c, 9, 10)).toBeCloseTo(0.5 * (1 + Math.cos((Math.PI * 7) / 8)), 12);
  });

  it('linear decays from lr after warmup toward 0', () => {
    const c = config({ lr: 2, warmupSteps: 0, schedule: 'linear' });
    expect([0, 1, 2, 3].map((s) => learningRate(c, s, 4))).toEqual([2, 1.5, 1, 0.5]);
  });

  it('constant without warmup is lr at every step', () => {
    const c = config({ lr: 3e-5, warmupSteps: 0, schedule: 'constant' });
    for (let s = 0; s < 5; s++) expect(learningRate(c, s, 5)).toBe(3e-5);
  });
});

describe('planBatches', () => {
  const forgetOfEpoch = (plan: ReturnType<typeof planBatches>, epoch: number) =>
    Array.from({ length: plan.stepsPerEpoch }, (_, i) =>
      plan.microBatches(epoch * plan.stepsPerEpoch + i).flatMap((m) => m.forget),
    ).flat();

  it('visits every forget sequence once per epoch, in a seeded order that differs by epoch', () => {
    const c = config({ batchSize: 3, gradAccum: 1, epochs: 3, seed: 7 });
    const plan = planBatches(c, 10, 4);
    expect(plan.microBatchesPerEpoch).toBe(4); // ⌈10/3⌉
    expect(plan.stepsPerEpoch).toBe(4);
    expect(plan.totalSteps).toBe(12);
    const orders = [0, 1, 2].map((e) => forgetOfEpoch(plan, e));
    for (const order of orders)
      expect([...order].sort((a, b) => a - b)).toEqual([...Array(10).keys()]);
    expect(orders[0]).not.toEqual(orders[1]);
    expect(orders[1]).not.toEqual(orders[2]);
    // the last micro-batch of an epoch holds the remainder
    expect(plan.microBatches(3)[0]!.forget).toHaveLength(1);
    expect(plan.microBatches(5)[0]!.epoch).toBe(1);
  });

  it('is reproducible for a seed and changes with the seed', () => {
    const a = planBatches(config({ batchSize: 2, seed: 1 }), 9, 5);
    const b = planBatches(config({ batchSize: 2, seed: 1 }), 9, 5);
    const other = planBatches(config({ batchSize: 2, seed: 2 }), 9, 5);
    const all = (p: typeof a) => Array.from({ length: p.totalSteps }, (_, s) => p.microBatches(s));
    expect(all(a)).toEqual(all(b));
    expect(all(a)).not.toEqual(all(other));
    // a step asked for out of order gives the same answer (resume sees what a full run saw)
    const fresh = planBatches(config({ batchSize: 2, seed: 1 }), 9, 5);
    expect(fresh.microBatches(17)).toEqual(all(a)[17]);
  });

  it('groups gradAccum micro-batches per optimizer step; the last step of an epoch may have fewer', () => {
    const c = config({ batchSize: 2, gradAccum: 3, epochs: 2, seed: 3 });
    const plan = planBatches(c, 9, 0);
    expect(plan.microBatchesPerEpoch).toBe(5);
    expect(plan.stepsPerEpoch).toBe(2);
    expect(plan.totalSteps).toBe(4);
    expect(plan.microBatches(0).map((m) => m.forget.length)).toEqual([2, 2, 2]);
    expect(plan.microBatches(1).map((m) => m.forget.length)).toEqual([2, 1]);
    expect(plan.microBatches(0).every((m) => m.retain.length === 0)).toBe(true);
    const epoch0 = [...plan.microBatches(0), ...plan.microBatches(1)].flatMap((m) => m.forget);
    expect([...epoch0].sort((a, b) => a - b)).toEqual([...Array(9).keys()]);
  });

  it('cycles retain rows through the whole retain set before repeating any', () => {
    const c = config({ batchSize: 2, gradAccum: 1, epochs: 4, seed: 11 });
    const plan = planBatches(c, 3, 5); // 2 micro-batches per epoch, 2 retain rows each
    const retain = Array.from({ length: plan.totalSteps }, (_, s) =>
      plan.microBatches(s).flatMap((m) => m.retain),
    ).flat();
    expect(retain).toHaveLength(16);
    for (let cycle = 0; cycle + 5 <= retain.length; cycle += 5)
      expect([...retain.slice(cycle, cycle + 5)].sort()).toEqual([0, 1, 2, 3, 4]);
    expect(retain.slice(0, 5)).not.toEqual(retain.slice(5, 10)); // reshuffled per cycle
    plan
      .microBatches(0)
      .forEach((m) => expect(m.retain).toHaveLength(m.forget.length === 0 ? 0 : 2));
  });
});
