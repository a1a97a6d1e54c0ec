/**
 * Without a gradient tape (evaluation, decoding) a forward pass frees each block's
 * intermediates when the block returns: its peak tensor memory does not grow with depth. Under
 * a tape (training) they stay for the backward pass and the gradients are unchanged.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import { createRandomModel } from '../../src/worker/model/architectures/index.ts';
import { benchSpec } from '../../src/worker/tasks/bench.ts';

const spec = (layers: number) =>
  benchSpec({ layers, embd: 64, heads: 4, vocab: 64, seq: 64, batch: 4 });

beforeAll(async () => {
  await selectBackend('cpu');
});

/** Peak bytes above the start while `f` runs; `f`'s result is disposed. */
async function peakOf(f: () => tf.Tensor): Promise<number> {
  const before = tf.memory().numBytes;
  const profile = await tf.profile(() => {
    tf.dispose(f());
    return [];
  });
  return profile.peakBytes - before;
}

describe('forward passes without a gradient tape', () => {
  it('peak memory of logits and decoding does not grow with the number of blocks', async () => {
    const ids = tf.tensor2d(
      Array.from({ length: 4 * 64 }, (_, i) => (i * 13 + 1) % 64),
      [4, 64],
      'int32',
    );
    const peaks = [];
    for (const layers of [2, 8]) {
      const model = createRandomModel(spec(layers), 1);
      const logits = await peakOf(() => model.logits(ids));
      const cache = model.createCache();
      const decode = await peakOf(() => model.decodeNext(ids, cache));
      cache.dispose();
      // Under a tape every block's intermediates are kept: it does grow.
      const taped = await peakOf(() => {
        const { value, grads } = tf.variableGrads(() => model.nll(ids), [...model.params.values()]);
        tf.dispose(Object.values(grads));
        return value;
      });
      peaks.push({ logits, decode, taped });
      model.dispose();
    }
    const [two, eight] = peaks as [(typeof peaks)[0], (typeof peaks)[0]];
    expect(eight.logits / two.logits).toBeLessThan(1.5);
    expect(eight.decode / two.decode).toBeLessThan(1.5);
    expect(eight.taped / two.taped).toBeGreaterThan(2); // the comparison can fail
    ids.dispose();
  });
});
