/**
 * The memory pre-flight counts the tokens a run will really batch: batches are padded to their
 * longest row, so documents shorter than maxLength need the memory of their own length.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { checkMemoryFits, memoryNeed } from '../../src/worker/tasks/preflight.ts';
import { loadModelSpec } from '../../src/worker/model/config.ts';
import { resolveConfig, type RunConfig } from '../../src/worker/unlearn/config.ts';
import { methodNamed } from '../../src/worker/unlearn/methods/index.ts';

const MODEL = 'resources/testbed/model';
const spec = loadModelSpec(MODEL);
const config = resolveConfig({ batchSize: 4, maxLength: 256 }, methodNamed('graddiff'), undefined);

afterEach(() => {
  delete process.env.NEPENTHE_MEMORY_LIMIT;
});

describe('memory pre-flight', () => {
  it('estimates with the longest sequence when it is shorter than maxLength', () => {
    const atMax = memoryNeed(spec, 'graddiff', config);
    const short = memoryNeed(spec, 'graddiff', config, 40);
    expect(atMax.sequenceLength).toBe(256);
    expect(short.sequenceLength).toBe(40);
    expect(short.bytes).toBeLessThan(atMax.bytes);
    expect(memoryNeed(spec, 'graddiff', config, 1000).sequenceLength).toBe(256); // cut to maxLength
  });

  it('refuses with the real lengths in its message', () => {
    const need = memoryNeed(spec, 'graddiff', config, 40);
    process.env.NEPENTHE_MEMORY_LIMIT = String(Math.floor(need.checkpointedBytes! / 2));
    expect(() => checkMemoryFits(MODEL, spec, 'graddiff', config, 40)).toThrow(
      /with batchSize 4 and sequences of up to 40 tokens \(maxLength 256\) needs about [\d.]+ GiB of memory \(estimate; [\d.]+ GiB with gradient checkpointing\)/,
    );
    // A run that fits at its real length passes where maxLength would not.
    process.env.NEPENTHE_MEMORY_LIMIT = String(need.plainBytes + 1);
    expect(memoryNeed(spec, 'graddiff', config).fits).toBe(false);
    expect(checkMemoryFits(MODEL, spec, 'graddiff', config, 40).fits).toBe(true);
  });

  describe('on a backend other than native', () => {
    beforeAll(async () => void (await tf.setBackend('cpu')));
    afterAll(() => tf.removeBackend('cpu'));

    it('switches gradient checkpointing on only when it alone makes a full-parameter run fit', () => {
      const plain = memoryNeed(spec, 'graddiff', config, 200);
      expect(plain).toMatchObject({ fits: true, checkpointing: false, bytes: plain.plainBytes });
      process.env.NEPENTHE_MEMORY_LIMIT = String(plain.bytes - 1);
      const need = checkMemoryFits(MODEL, spec, 'graddiff', config, 200);
      expect(need).toMatchObject({ fits: true, checkpointing: true });
      expect(need.bytes).toBe(need.checkpointedBytes);
      expect(need.bytes).toBeLessThan(plain.bytes);
      // Bounded's adapters are not a block's parameters: no checkpointing, refused instead.
      const bounded = memoryNeed(spec, 'bounded', config, 200).bytes;
      process.env.NEPENTHE_MEMORY_LIMIT = String(bounded - 1);
      expect(memoryNeed(spec, 'bounded', config, 200)).toMatchObject({
        fits: false,
        checkpointing: false,
        checkpointedBytes: null,
      });
      expect(() => checkMemoryFits(MODEL, spec, 'bounded', config, 200)).toThrow(/needs about/);
    });
  });

  // No backend is active here: the pre-flight assumes native, the addon being built.
  it('checkpoints full-parameter runs by default on the native backend, never bounded', () => {
    for (const method of ['graddiff', 'npo', 'sau', 'kl']) {
      const need = memoryNeed(spec, method, config, 200);
      expect(need, method).toMatchObject({ fits: true, checkpointing: true });
      expect(need.bytes).toBe(need.checkpointedBytes);
      expect(need.bytes).toBeLessThan(need.plainBytes);
    }
    expect(memoryNeed(spec, 'bounded', config, 200)).toMatchObject({ checkpointing: false });
  });

  it("counts a base loss's frozen copy under sau and bounded too (kl, undial)", () => {
    for (const method of ['sau', 'bounded']) {
      const over = (baseMethod: RunConfig['baseMethod']) =>
        memoryNeed(spec, method, { ...config, baseMethod }, 200).plainBytes;
      expect(over('kl'), method).toBeGreaterThan(over('graddiff'));
      expect(over('undial'), method).toBeGreaterThan(over('graddiff'));
      expect(over('targetnll'), method).toBe(over('graddiff')); // no copy held
    }
  });
});
