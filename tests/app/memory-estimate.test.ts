/** The memory estimate and method suggestion, checked against numbers worked out by hand. */
import { describe, expect, it } from 'vitest';
import type { InspectReport } from '../../src/shared/contracts.ts';
import { estimateMemory, suggestMethod } from '../../src/main/services/memory-estimate.ts';

const model = (over: Partial<InspectReport> = {}): InspectReport => ({
  architecture: 'gpt2',
  parameters: 1_000_000,
  layers: 2,
  hidden: 128,
  vocab: 1000,
  dtype: 'float32',
  sparsity: 0,
  sha256: '0'.repeat(64),
  ...over,
});

const inputs = {
  batchSize: 4,
  sequenceLength: 256,
  rank: 8,
  gpuMemoryBytes: null,
  onGpu: false,
  systemMemoryBytes: 16 * 2 ** 30,
};

describe('estimateMemory', () => {
  it('full = 16 B/param + activations; LoRA = 4 B/param + adapters + activations; eval = 4 B/param + forward', () => {
    const m = estimateMemory(model(), inputs);
    const tokens = 4 * 256;
    const train = 4 * tokens * (16 * 2 * 128 + 3 * 1000); // 29,163,520
    expect(m.fullParameterBytes).toBe(16e6 + train);
    const adapters = 2 * 2 * 8 * (128 + 512); // 20,480 elements
    expect(m.loraBytes).toBe(4e6 + 16 * adapters + train);
    expect(m.evalBytes).toBe(4e6 + 4 * tokens * (4 * 2 * 128 + 1000));
    expect(m).toMatchObject({ availableBytes: 16 * 2 ** 30, availableKind: 'cpu' });
    expect(m.basis).toContain('16 B/param');
  });

  it('on a GPU backend the GPU memory is what is available, null when unknown', () => {
    expect(estimateMemory(model(), { ...inputs, onGpu: true, gpuMemoryBytes: 8e9 })).toMatchObject({
      availableBytes: 8e9,
      availableKind: 'gpu',
    });
    expect(estimateMemory(model(), { ...inputs, onGpu: true }).availableBytes).toBeNull();
  });
});

describe('suggestMethod', () => {
  const memory = (m: InspectReport, available = 16 * 2 ** 30) =>
    estimateMemory(m, { ...inputs, systemMemoryBytes: available });

  it('sparse → sau, large or too big for memory → bounded, else graddiff', () => {
    const sparse = model({ sparsity: 0.5 });
    expect(suggestMethod(sparse, memory(sparse)).method).toBe('sau');
    const big = model({ parameters: 1.2e9 });
    expect(suggestMethod(big, memory(big)).method).toBe('bounded');
    const small = model();
    expect(suggestMethod(small, memory(small, 1e6)).method).toBe('bounded');
    expect(suggestMethod(small, memory(small)).method).toBe('graddiff');
    expect(suggestMethod(model({ sparsity: 0.19 }), memory(small)).method).toBe('graddiff');
  });

  it('says why in one sentence', () => {
    const small = model();
    const s = suggestMethod(small, memory(small, 1e6)).sentence;
    expect(s).toMatch(/GiB/);
    expect(s.split('. ').length).toBe(1);
  });
});
