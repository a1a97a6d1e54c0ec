/**
 * The memory estimate and method suggestion, checked against numbers worked out by hand (the
 * coefficients themselves are checked against measured runs by bench/memory.ts).
 */
import { describe, expect, it } from 'vitest';
import type { InspectReport } from '../../src/shared/contracts.ts';
import { estimateMemory, suggestMethod } from '../../src/shared/memory-estimate.ts';

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
  it('full = 30 B/param + activations; LoRA = 4 B/param + 70 B/adapted element + adapters + activations; eval = 4 B/param + forward', () => {
    // 2 layers, hidden 128 → 2 heads by default (head size 64); vocab 1000; batch 4 × 256.
    const m = estimateMemory(model(), inputs);
    const trainTokens = 2 * 4 * 256; // forget + retain sequences
    const trainPerToken = 195 * 2 * 128 + 17 * 2 * 2 * 256 + 9.25 * 1000; // 76,578 B
    const train = trainTokens * trainPerToken; // 156,831,744
    expect(m.fullParameterBytes).toBe(30e6 + train);
    const adapted = 2 * 8 * 128 * 128; // c_fc and c_proj of 2 layers: 262,144 elements
    const adapters = 2 * 2 * 8 * (128 + 512); // 20,480 elements
    expect(m.loraBytes).toBe(4e6 + 70 * adapted + 16 * adapters + train);
    const evalPerToken = 107 * 2 * 128 + 8 * 2 * 2 * 256 + 4 * 1000; // 39,584 B
    expect(m.evalBytes).toBe(4e6 + 4 * 256 * evalPerToken);
    expect(m).toMatchObject({ availableBytes: 16 * 2 ** 30, availableKind: 'cpu' });
    expect(m.basis).toContain('30 B/param');
  });

  it('native CPU: 19 B/param full, 5 B per adapted element, one chunk of logits, over the MLP elements it is given', () => {
    const m = estimateMemory(model(), {
      ...inputs,
      nativeCpu: true,
      mlpElementsPerLayer: 3 * 128 * 344,
    });
    const train = 2 * 4 * 256 * (195 * 2 * 128 + 17 * 2 * 2 * 256) + 2 * 128 * 2 ** 20;
    expect(m.fullParameterBytes).toBe(19e6 + train);
    const adapters = 2 * 2 * 8 * (128 + 512);
    expect(m.loraBytes).toBe(4e6 + 5 * 2 * 3 * 128 * 344 + 16 * adapters + train);
    expect(m.basis).toContain('19 B/param');
    expect(m.basis).toContain('one 256 MiB chunk of logits');
  });

  it('gradient checkpointing keeps block inputs and one block: full training only', () => {
    const given = { ...inputs, nativeCpu: true, mlpElementsPerLayer: 3 * 128 * 344 };
    const plain = estimateMemory(model(), given);
    const checkpointed = estimateMemory(model(), { ...given, checkpointing: true });
    const tokens = 2 * 4 * 256;
    const block = (195 * 2 * 128 + 17 * 2 * 2 * 256) / 2; // one layer's share
    expect(checkpointed.fullParameterBytes).toBe(
      19e6 + tokens * (4 * 2 * 128 + block) + 2 * 128 * 2 ** 20,
    );
    expect(checkpointed.fullParameterBytes).toBeLessThan(plain.fullParameterBytes);
    expect(checkpointed.loraBytes).toBe(plain.loraBytes);
  });

  it('uses the heads it is given (attention grows with heads × positions)', () => {
    const two = estimateMemory(model(), inputs);
    const eight = estimateMemory(model(), { ...inputs, heads: 8 });
    expect(eight.fullParameterBytes - two.fullParameterBytes).toBe(2 * 4 * 256 * 17 * 2 * 6 * 256);
    expect(eight.evalBytes - two.evalBytes).toBe(4 * 256 * 8 * 2 * 6 * 256);
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

  it('sparse → sau; full training fits → graddiff; else bounded when it fits; else the smaller', () => {
    const sparse = model({ sparsity: 0.5 });
    expect(suggestMethod(sparse, memory(sparse)).method).toBe('sau');
    const big = model({ parameters: 1.2e9 });
    expect(suggestMethod(big, memory(big)).method).toBe('bounded');
    const small = model();
    expect(suggestMethod(small, memory(small, 1e6)).method).toBe('bounded');
    expect(suggestMethod(small, memory(small)).method).toBe('graddiff');
    expect(suggestMethod(model({ sparsity: 0.19 }), memory(small)).method).toBe('graddiff');
  });

  it('when nothing fits it says so and names both estimates', () => {
    const small = model();
    const s = suggestMethod(small, memory(small, 1e6));
    expect(s.sentence).toMatch(/^Neither fits/);
    expect(s.method).toBe('bounded'); // 4 B/param + small adapters < 30 B/param here
    const wide = model({ parameters: 1e5, layers: 8, hidden: 1024 }); // adapters dwarf the rest
    const m = memory(wide, 1e6);
    expect(m.loraBytes).toBeGreaterThan(m.fullParameterBytes);
    expect(suggestMethod(wide, m).method).toBe('graddiff');
  });

  it('says why in one sentence', () => {
    const small = model();
    const s = suggestMethod(small, memory(small, 1e6)).sentence;
    expect(s).toMatch(/GiB/);
    expect(s.split('. ').length).toBe(1);
  });
});
