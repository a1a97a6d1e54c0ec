/**
 * The memory pre-flight counts the tokens a run will really batch: batches are padded to their
 * longest row, so documents shorter than maxLength need the memory of their own length.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { checkMemoryFits, memoryNeed } from '../../src/worker/tasks/preflight.ts';
import { loadModelSpec } from '../../src/worker/model/config.ts';
import { resolveConfig } from '../../src/worker/unlearn/config.ts';
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
    const need = memoryNeed(spec, 'graddiff', config, 40).bytes;
    process.env.NEPENTHE_MEMORY_LIMIT = String(Math.floor(need / 2));
    expect(() => checkMemoryFits(MODEL, spec, 'graddiff', config, 40)).toThrow(
      /with batchSize 4 and sequences of up to 40 tokens \(maxLength 256\) needs about/,
    );
    // A run that fits at its real length passes where maxLength would not.
    process.env.NEPENTHE_MEMORY_LIMIT = String(need + 1);
    expect(memoryNeed(spec, 'graddiff', config).fits).toBe(false);
    expect(() => checkMemoryFits(MODEL, spec, 'graddiff', config, 40)).not.toThrow();
  });
});
