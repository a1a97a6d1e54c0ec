/**
 * Memory discipline on the real training step (DESIGN.md §3): 50 GradDiff steps of a GPT-2 and a
 * Llama-family model (forward + backward on forget and retain batches, global-norm clipping,
 * AdamW) leave `tf.memory().numTensors` flat after the first step (which creates the optimizer's
 * moment estimates), and the forget loss actually moves.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import { createRandomModel } from '../../src/worker/model/architectures/index.ts';
import { benchSpec, gradDiffStep } from '../../src/worker/tasks/bench.ts';
import { AdamW } from '../../src/worker/unlearn/optim/adamw.ts';
import type { ModelSpec } from '../../src/worker/model/config.ts';

const gpt2 = benchSpec({ layers: 2, embd: 32, heads: 4, vocab: 64, seq: 16, batch: 2 });
const llama: ModelSpec = {
  ...gpt2,
  modelType: 'qwen2',
  family: 'llama',
  kvHeads: 2,
  intermediate: 48,
  normEps: 1e-6,
  tieWordEmbeddings: false,
  qkvBias: true,
  oBias: false,
  mlpBias: false,
  ropeTheta: 10000,
};

describe.each(['cpu', 'wasm'] as const)('50 GradDiff steps on %s', (backend) => {
  it.each([
    ['gpt2', gpt2],
    ['llama family', llama],
  ] as const)('keep the tensor count flat (%s)', async (_, spec) => {
    await selectBackend(backend);
    const model = createRandomModel(spec, 1);
    const optimizer = new AdamW({ lr: 1e-2, weightDecay: 0.01 });
    const forget = () => tf.randomUniform([2, 16], 0, 64, 'int32', 7) as tf.Tensor2D; // same batch each step
    const retain = () => tf.randomUniform([2, 16], 0, 64, 'int32', 8) as tf.Tensor2D;
    const counts: number[] = [];
    const losses: number[] = [];
    for (let step = 0; step < 50; step++) {
      losses.push((await gradDiffStep(model, optimizer, forget(), retain())).loss);
      counts.push(tf.memory().numTensors);
    }
    expect(new Set(counts.slice(1)).size, `tensor counts ${counts.join(',')}`).toBe(1);
    // GradDiff pushes the forget NLL up and the retain NLL down: the loss (retain − forget) falls.
    expect(losses[49]!).toBeLessThan(losses[0]! - 1);
    optimizer.dispose();
    model.dispose();
  });
});
