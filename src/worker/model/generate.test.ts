/**
 * Cached greedy decoding against the plain definition: re-run the whole sequence and take the
 * argmax of the last position. On the golden fixtures, so GQA, RoPE scaling, learned positions
 * and tied heads are all on the cached path.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CausalLM } from './architectures/types.ts';
import {
  DECODE_ROWS,
  PREFILL_TOKENS,
  decodeBatches,
  greedyGenerate,
  greedyGenerateMany,
} from './generate.ts';
import { loadModel } from './load.ts';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'tests', 'fixtures', 'golden');
const PROMPT = [7, 42, 3, 19, 88];

/** The definition of greedy decoding, without a cache. */
async function greedyWithoutCache(
  model: CausalLM,
  prompt: number[],
  steps: number,
): Promise<number[]> {
  const sequence = [...prompt];
  for (let i = 0; i < steps; i++) {
    const next = tf.tidy(() => {
      const logits = model.logits(tf.tensor2d([sequence], undefined, 'int32')); // (1, T, V)
      return logits
        .slice([0, sequence.length - 1, 0], [1, 1, -1])
        .reshape([-1])
        .argMax();
    });
    sequence.push((await next.data())[0]!);
    next.dispose();
  }
  return sequence.slice(prompt.length);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.each(['gpt2-tiny', 'llama-gqa-tiny', 'qwen2-tiny'])('%s', (name) => {
  let model: CausalLM;
  beforeAll(() => {
    model = loadModel(join(FIXTURES, name)).model;
  });
  afterAll(() => model.dispose());

  it('with a KV cache equals greedy decoding without one, token for token', async () => {
    const expected = await greedyWithoutCache(model, PROMPT, 12);
    const before = tf.memory().numTensors; // the prompt's causal mask is cached by now
    expect(await greedyGenerate(model, PROMPT, 12)).toEqual(expected);
    expect(tf.memory().numTensors).toBe(before);
    expect(new Set(expected).size).toBeGreaterThan(1); // the check means something only if tokens vary
  });

  it('decoding in chunks gives the logits of one full pass', async () => {
    const ids = [...PROMPT, 11, 60, 2, 33, 71, 5];
    const full = tf.tidy(() => model.logits(tf.tensor2d([ids], undefined, 'int32'))); // (1, 11, V)
    const cache = model.createCache();
    const parts = [ids.slice(0, 4), ids.slice(4, 5), ids.slice(5)].map(
      (chunk) => tf.tidy(() => model.decode(tf.tensor2d([chunk], undefined, 'int32'), cache)), // (1, t, V)
    );
    expect(cache.length).toBe(ids.length);
    const chunked = tf.concat(parts, 1);
    const [a, b] = [await chunked.data(), await full.data()];
    let worst = 0;
    for (let i = 0; i < b.length; i++) worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
    expect(worst).toBeLessThan(1e-5);
    tf.dispose([full, chunked, ...parts]);
    cache.dispose();
  });

  it('batched: each row equals its own greedy decoding, and tensors are freed', async () => {
    const prompts = [PROMPT, [3, 3, 9, 1, 50], [88, 19, 3, 42, 7], [1, 2, 3, 4, 5]];
    const expected = await Promise.all(prompts.map((p) => greedyGenerate(model, p, 10)));
    const before = tf.memory().numTensors;
    const batched = await greedyGenerateMany(
      model,
      prompts.map((prompt) => ({ prompt, maxNewTokens: 10 })),
    );
    expect(tf.memory().numTensors).toBe(before);
    expect(batched).toEqual(expected);
    expect(new Set(expected.map((e) => e.join())).size).toBeGreaterThan(1); // rows really differ
  });

  it('many: prompts of several lengths, budgets and stops, each as its own greedy decoding', async () => {
    const free = await greedyGenerate(model, PROMPT, 8);
    const requests = [
      { prompt: PROMPT, maxNewTokens: 8, stopIds: [free[2]!] }, // stops early
      { prompt: [3, 9], maxNewTokens: 5 },
      { prompt: [88, 19, 3, 42, 7], maxNewTokens: 3 },
      { prompt: [1, 2, 3, 4, 5], maxNewTokens: 9 },
      { prompt: [5, 6], maxNewTokens: 0 },
      { prompt: [6, 5], maxNewTokens: 4 },
      { prompt: [11], maxNewTokens: 6 },
    ];
    const expected = await Promise.all(
      requests.map((r) => greedyGenerate(model, r.prompt, r.maxNewTokens, r.stopIds ?? [])),
    );
    expect(expected[0]!.length).toBeLessThan(8);
    const before = tf.memory().numTensors;
    const progress: number[] = [];
    const many = await greedyGenerateMany(model, requests, {
      batchSize: 2,
      onProgress: (done) => progress.push(done),
    });
    expect(tf.memory().numTensors).toBe(before);
    expect(many).toEqual(expected);
    expect(progress.at(-1)).toBe(requests.length);
    expect(progress).toEqual([2, 4, 6, 7]); // batches of 2 whatever their lengths (left-padded)
    expect(await greedyGenerateMany(model, requests)).toEqual(expected); // one batch of 7
  });

  it('many: a left-padded row decodes as it does alone, also for the longest prompt', async () => {
    const long = [...PROMPT, 11, 60, 2, 33, 71, 5, 9, 14];
    const requests = [
      { prompt: [42], maxNewTokens: 12 },
      { prompt: long, maxNewTokens: 12 },
      { prompt: [7, 7, 7], maxNewTokens: 12 },
    ];
    const alone = await Promise.all(requests.map((r) => greedyGenerate(model, r.prompt, 12)));
    expect(await greedyGenerateMany(model, requests)).toEqual(alone);
  });

  it('stops after a stop token, which it keeps', async () => {
    const free = await greedyGenerate(model, PROMPT, 8);
    const stop = free[3]!;
    const expected = free.slice(0, free.indexOf(stop) + 1);
    expect(await greedyGenerate(model, PROMPT, 8, [stop])).toEqual(expected);
  });
});

it("stops at the model's last position (GPT-2 n_positions)", async () => {
  const { model, spec } = loadModel(join(FIXTURES, 'gpt2-tiny'));
  const prompt = Array.from({ length: spec.maxPositions - 2 }, (_, i) => i % spec.vocabSize);
  expect(await greedyGenerate(model, prompt, 10)).toHaveLength(2);
  expect(await greedyGenerate(model, [...prompt, 1, 2], 10)).toEqual([]);
  // Batched with a short prompt: the long row stops at its own limit, the short one goes on.
  const short = [3, 1, 4];
  const many = await greedyGenerateMany(model, [
    { prompt, maxNewTokens: 10 },
    { prompt: short, maxNewTokens: 10 },
  ]);
  expect(many).toEqual([
    await greedyGenerate(model, prompt, 10),
    await greedyGenerate(model, short, 10),
  ]);
  expect(many.map((m) => m.length)).toEqual([2, 10]);
  model.dispose();
});

describe('decodeBatches', () => {
  const lengths = (batch: number[], of: number[]) => batch.map((i) => of[i]!);

  it('fills a batch up to the row cap when prompts are short', () => {
    const prompt = Array.from({ length: 300 }, () => 32); // verbatim: 300 prompts of 32 tokens
    const order = [...prompt.keys()];
    const batches = decodeBatches(order, (i) => prompt[i]!, DECODE_ROWS);
    expect(batches.map((b) => b.length)).toEqual([DECODE_ROWS, DECODE_ROWS, 300 - 2 * DECODE_ROWS]);
    expect(batches.flat()).toEqual(order);
  });

  it('keeps rows × the longest prompt within the prefill budget, and a lone long prompt alone', () => {
    const prompt = [10, 20, 100, 200, 200, 300, 5000, PREFILL_TOKENS + 5];
    const order = [...prompt.keys()]; // already shortest first
    const batches = decodeBatches(order, (i) => prompt[i]!, DECODE_ROWS);
    expect(batches.flat()).toEqual(order);
    for (const batch of batches) {
      const longest = Math.max(...lengths(batch, prompt));
      if (batch.length > 1) expect(batch.length * longest).toBeLessThanOrEqual(PREFILL_TOKENS);
    }
    expect(batches.at(-1)).toEqual([7]); // over the budget on its own: still decoded, alone
    expect(batches.length).toBeGreaterThan(2);
  });

  it('honours a smaller row cap', () => {
    const batches = decodeBatches([0, 1, 2, 3, 4], () => 3, 2);
    expect(batches).toEqual([[0, 1], [2, 3], [4]]);
  });
});
