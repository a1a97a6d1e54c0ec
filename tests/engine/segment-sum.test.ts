/** Our UnsortedSegmentSum kernels (cpu and wasm) against hand-computed sums. */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import { cpuUnsortedSegmentSumConfig } from '../../src/worker/engine/cpu-kernels/unsorted-segment-sum.ts';
import { unsortedSegmentSumConfig } from '../../src/worker/engine/wasm-kernels/unsorted-segment-sum.ts';

const OURS = { cpu: cpuUnsortedSegmentSumConfig, wasm: unsortedSegmentSumConfig };

describe.each(['cpu', 'wasm'] as const)('UnsortedSegmentSum on %s', (backend) => {
  it('adds rows into their segments, drops ids out of range, and leaves other segments zero', async () => {
    await selectBackend(backend);
    // The one-pass kernel is the one registered, not tfjs's (cpu) or none (wasm).
    expect(tf.getKernel('UnsortedSegmentSum', backend)?.kernelFunc).toBe(OURS[backend].kernelFunc);
    const x = tf.tensor2d([
      [1, 2],
      [10, 20],
      [100, 200],
      [1000, 2000],
      [5, 5],
    ]);
    const ids = tf.tensor1d([2, 0, 2, 7, -1], 'int32'); // 7 and −1 are outside [0, 4)
    const sums = tf.unsortedSegmentSum(x, ids, 4);
    expect(sums.shape).toEqual([4, 2]);
    expect(Array.from(await sums.data())).toEqual([10, 20, 0, 0, 101, 202, 0, 0]);
    tf.dispose([x, ids, sums]);
  });
});
