/**
 * A tiny GPT-2 that has really memorized its training records, written as a Hugging Face folder
 * (config.json, model.safetensors, tokenizer files): for the tests of metrics and of unlearning
 * methods, which need a model that recites some records and not others.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { createRandomModel } from '../../src/worker/model/architectures/index.ts';
import { writeCheckpoint } from '../../src/worker/model/safetensors/index.ts';
import { benchSpec } from '../../src/worker/tasks/bench.ts';
import { AdamW } from '../../src/worker/unlearn/optim/adamw.ts';
import { clipByGlobalNorm } from '../../src/worker/unlearn/optim/clip.ts';

export interface MemorizeOptions {
  readonly positions: number;
  readonly seed: number;
  /** Mean NLL (nats/token) at which training stops: the records are recited by then. */
  readonly targetLoss?: number;
  readonly maxSteps?: number;
  readonly layers?: number;
  readonly embd?: number;
}

/**
 * Trains a 2-layer, 64-wide GPT-2 on `ids` (full batch, AdamW lr 1e-2, clip 1.0) until the mean
 * NLL is below the target (about 50 steps for 8 records), writes it into `folder` as HF
 * config.json + model.safetensors, and returns the final loss and the steps taken.
 */
export async function memorize(
  ids: readonly (readonly number[])[],
  vocab: number,
  folder: string,
  options: MemorizeOptions,
): Promise<{ loss: number; steps: number }> {
  const { positions, seed, targetLoss = 0.05, maxSteps = 300, layers = 2, embd = 64 } = options;
  const spec = {
    ...benchSpec({ layers, embd, heads: 4, vocab, seq: positions, batch: ids.length }),
    eosTokenId: vocab - 1,
    bosTokenId: vocab - 1,
  };
  const model = createRandomModel(spec, seed);
  const width = Math.max(...ids.map((r) => r.length));
  const padded = ids.map((r) => [...r, ...new Array<number>(width - r.length).fill(0)]);
  const mask = ids.map((r) => Array.from({ length: width }, (_, t) => (t < r.length ? 1 : 0)));
  const batch = tf.tensor2d(padded, [ids.length, width], 'int32');
  const maskT = tf.tensor2d(mask, [ids.length, width], 'float32');
  const optimizer = new AdamW({ lr: 1e-2, weightDecay: 0 });
  let loss = Infinity;
  let steps = 0;
  while (steps < maxSteps && loss > targetLoss) {
    const { value, grads } = tf.variableGrads(
      () => model.nll(batch, maskT),
      [...model.params.values()],
    );
    const byName = new Map([...model.params].map(([name, v]) => [name, grads[v.name]!]));
    const { norm, clipped } = clipByGlobalNorm(byName, 1.0);
    optimizer.apply(model.params, clipped);
    loss = (await value.data())[0]!;
    tf.dispose([value, norm, ...Object.values(grads), ...clipped.values()]);
    steps++;
  }
  tf.dispose([batch, maskT]);
  optimizer.dispose();

  writeFileSync(
    join(folder, 'config.json'),
    JSON.stringify({
      activation_function: 'gelu_new',
      architectures: ['GPT2LMHeadModel'],
      bos_token_id: vocab - 1,
      eos_token_id: vocab - 1,
      layer_norm_epsilon: 1e-5,
      model_type: 'gpt2',
      n_ctx: positions,
      n_embd: embd,
      n_head: 4,
      n_inner: null,
      n_layer: layers,
      n_positions: positions,
      tie_word_embeddings: true,
      torch_dtype: 'float32',
      vocab_size: vocab,
    }),
  );
  writeCheckpoint(folder, await model.exportWeights(), 'F32');
  model.dispose();
  return { loss, steps };
}
