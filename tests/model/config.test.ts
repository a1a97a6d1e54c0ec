import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/shared/errors.ts';
import { loadModelSpec, parseModelSpec } from '../../src/worker/model/config.ts';

const GPT2 = {
  model_type: 'gpt2',
  vocab_size: 50257,
  n_embd: 768,
  n_layer: 12,
  n_head: 12,
  n_positions: 1024,
  n_inner: null,
};
const LLAMA3 = {
  model_type: 'llama',
  vocab_size: 128256,
  hidden_size: 2048,
  intermediate_size: 8192,
  num_hidden_layers: 16,
  num_attention_heads: 32,
  num_key_value_heads: 8,
  head_dim: 64,
  max_position_embeddings: 131072,
  rms_norm_eps: 1e-5,
  rope_theta: 500000,
  rope_scaling: {
    factor: 32,
    low_freq_factor: 1,
    high_freq_factor: 4,
    original_max_position_embeddings: 8192,
    rope_type: 'llama3',
  },
  tie_word_embeddings: true,
  bos_token_id: 128000,
  eos_token_id: [128001, 128008, 128009],
  torch_dtype: 'bfloat16',
};

function errorOf(fn: () => unknown): UserInputError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(UserInputError);
    return error as UserInputError;
  }
  throw new Error('expected a UserInputError');
}

describe('config.json parsing', () => {
  it('normalizes GPT-2', () => {
    const spec = parseModelSpec(GPT2, 'config.json');
    expect(spec).toMatchObject({
      family: 'gpt2',
      hidden: 768,
      layers: 12,
      heads: 12,
      kvHeads: 12,
      headDim: 64,
      intermediate: 3072,
      normEps: 1e-5,
      tieWordEmbeddings: true,
    });
  });

  it('normalizes Llama 3.2 with GQA, head_dim and llama3 RoPE scaling', () => {
    const spec = parseModelSpec(LLAMA3, 'config.json');
    expect(spec).toMatchObject({
      family: 'llama',
      kvHeads: 8,
      headDim: 64,
      ropeTheta: 500000,
      ropeScaling: {
        type: 'llama3',
        factor: 32,
        lowFreqFactor: 1,
        highFreqFactor: 4,
        originalMaxPositions: 8192,
      },
      tieWordEmbeddings: true,
      qkvBias: false,
      bosTokenId: 128000,
      eosTokenId: 128001,
    });
  });

  it('gives Qwen2 q/k/v biases but no o_proj bias, and Mistral its defaults', () => {
    const qwen = parseModelSpec({ ...LLAMA3, model_type: 'qwen2', rope_scaling: null }, 'c');
    expect(qwen).toMatchObject({ qkvBias: true, oBias: false, ropeScaling: null });
    const {
      head_dim: _,
      num_key_value_heads: __,
      ...mistral
    } = { ...LLAMA3, model_type: 'mistral', rope_scaling: undefined };
    expect(parseModelSpec(mistral, 'c')).toMatchObject({
      kvHeads: 32,
      headDim: 64,
      qkvBias: false,
    });
    expect(parseModelSpec({ ...LLAMA3, attention_bias: true }, 'c')).toMatchObject({
      qkvBias: true,
      oBias: true,
    });
  });

  it('names an unknown architecture and lists the supported ones', () => {
    const error = errorOf(() => parseModelSpec({ ...GPT2, model_type: 'bert' }, '/m/config.json'));
    expect(error.message).toBe(
      '/m/config.json: unknown architecture "bert"; supported: gpt2, llama, mistral, qwen2',
    );
  });

  it('names the offending key', () => {
    expect(errorOf(() => parseModelSpec({ ...GPT2, n_embd: 'wide' }, 'c')).message).toContain(
      '"n_embd"',
    );
    const { hidden_size: _, ...noHidden } = LLAMA3;
    expect(errorOf(() => parseModelSpec(noHidden, 'c')).message).toContain('"hidden_size"');
    expect(
      errorOf(() => parseModelSpec({ ...LLAMA3, num_key_value_heads: 5 }, 'c')).message,
    ).toContain('num_key_value_heads');
    expect(
      errorOf(() =>
        parseModelSpec({ ...LLAMA3, rope_scaling: { rope_type: 'yarn', factor: 4 } }, 'c'),
      ).message,
    ).toContain('yarn');
    expect(
      errorOf(() =>
        parseModelSpec({ ...LLAMA3, rope_scaling: { rope_type: 'llama3', factor: 4 } }, 'c'),
      ).message,
    ).toContain('low_freq_factor');
  });

  it('reports missing and invalid config.json files by path', () => {
    const dir = mkdtempSync(join(tmpdir(), 'nepenthe-cfg-'));
    expect(errorOf(() => loadModelSpec(dir)).message).toContain(join(dir, 'config.json'));
    writeFileSync(join(dir, 'config.json'), '{ not json');
    expect(errorOf(() => loadModelSpec(dir)).message).toMatch(/config\.json: invalid JSON/);
  });
});

describe('sliding windows', () => {
  it('keeps Mistral’s window and Qwen2’s only when use_sliding_window is on', () => {
    const base = { ...LLAMA3, rope_scaling: null, sliding_window: 4096 };
    expect(parseModelSpec({ ...base, model_type: 'mistral' }, 'c').slidingWindow).toBe(4096);
    expect(parseModelSpec({ ...base, model_type: 'qwen2' }, 'c').slidingWindow).toBeUndefined();
    expect(
      parseModelSpec({ ...base, model_type: 'qwen2', use_sliding_window: true }, 'c').slidingWindow,
    ).toBe(4096);
  });
});
