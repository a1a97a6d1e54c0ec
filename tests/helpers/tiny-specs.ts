/**
 * Tiny random-model shapes for unit tests: a GPT-2 (the bench's layout) and a Llama of the same
 * widths (GQA with 2 KV heads, SwiGLU of 48, untied head, RoPE), so each test covers both
 * families with one line.
 */
import type { ModelSpec } from '../../src/worker/model/config.ts';
import { benchSpec } from '../../src/worker/tasks/bench.ts';

export function tinyGpt2(layers = 2, seq = 16): ModelSpec {
  return benchSpec({ layers, embd: 32, heads: 4, vocab: 64, seq, batch: 2 });
}

export function tinyLlama(layers = 2, seq = 16): ModelSpec {
  return {
    ...tinyGpt2(layers, seq),
    modelType: 'llama',
    family: 'llama',
    kvHeads: 2,
    intermediate: 48,
    normEps: 1e-6,
    tieWordEmbeddings: false,
    qkvBias: false,
    oBias: false,
    mlpBias: false,
    ropeTheta: 10000,
  };
}
