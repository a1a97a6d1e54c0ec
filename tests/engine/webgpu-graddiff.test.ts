/**
 * One GradDiff train step (src/worker/tasks/bench.ts, as the trainer: forward + backward on a
 * forget and a retain batch, global-norm clipping, AdamW) on webgpu (SwiftShader: the real WGSL
 * kernels) against the native CPU backend, at the `cpu-small` bench shape and at a real model's
 * depth (24 Qwen2-style blocks) with narrow width.
 *
 * Tolerance, 1e-4 relative (as the golden suite, tests/golden/fixtures.ts): both backends run
 * float32 (unit roundoff u = 2⁻²⁴ ≈ 6e-8) in different summation orders. A sum of n terms differs
 * by about √n·u between orders: √8192·u ≈ 5e-6 for the vocabulary's log-sum-exp, √1024·u ≈ 2e-6 for
 * the widest matMul; errors of 24 blocks add to ≲ 24·2e-6 ≈ 5e-5. 1e-4 leaves room for that and
 * none for a wrong kernel (a dropped bias or mask moves the loss by > 1e-2). The loss is a
 * difference of two NLLs near ln V, so its error is measured against their sum.
 */
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { createRandomModel } from '../../src/worker/model/architectures/index.ts';
import type { ModelSpec } from '../../src/worker/model/config.ts';
import { BENCH_SHAPES, benchSpec, gradDiffStep } from '../../src/worker/tasks/bench.ts';
import { AdamW } from '../../src/worker/unlearn/optim/adamw.ts';
import { useBackend, type TestBackend } from '../golden/backend.ts';
import { haveSwiftShader } from './swiftshader.ts';

const TOLERANCE = 1e-4;

const cpuSmall = BENCH_SHAPES['cpu-small']!;
/** Qwen2.5-0.5B's depth, head layout (GQA 2:1, q/k/v bias, tied) and RoPE, 64 wide. */
const deepNarrow: ModelSpec = {
  ...benchSpec({ layers: 24, embd: 64, heads: 4, vocab: 512, seq: 64, batch: 2 }),
  modelType: 'qwen2',
  family: 'llama',
  kvHeads: 2,
  intermediate: 224,
  normEps: 1e-6,
  qkvBias: true,
  oBias: false,
  mlpBias: false,
  ropeTheta: 1_000_000,
};
/**
 * The model shapes are the bench's; the token counts are small because SwiftShader runs a
 * cpu-small forward+backward at ~10 s even for 32 tokens (its matMuls are slow on 2 cores), and CI
 * has 2 cores. One step at cpu-small; two at depth, where the second checks AdamW's update.
 */
const CASES = [
  { name: 'cpu-small (GPT-2, 4 × 256, vocab 8192)', spec: benchSpec(cpuSmall), seq: 32, steps: 1 },
  { name: 'Qwen2-style, 24 layers × 64, vocab 512', spec: deepNarrow, seq: 32, steps: 2 },
];

interface Measured {
  readonly nllRetain: number;
  readonly nllForget: number;
  readonly losses: number[];
  readonly norms: number[];
}

async function twoSteps(backend: TestBackend, c: (typeof CASES)[number]): Promise<Measured> {
  await useBackend(backend);
  const model = createRandomModel(c.spec, 1); // the same weights on every backend (CPU RNG)
  const ids = (seed: number) =>
    tf.randomUniform([1, c.seq], 0, c.spec.vocabSize, 'int32', seed) as tf.Tensor2D;
  // lr 1e-3 (the bench's 1e-5 would move the loss by less than the tolerance).
  const optimizer = new AdamW({ lr: 1e-3, weightDecay: 0.01 });
  try {
    const nll = async (seed: number) => {
      const x = ids(seed);
      const v = model.nll(x);
      const out = (await v.data())[0]!;
      tf.dispose([x, v]);
      return out;
    };
    const [nllForget, nllRetain] = [await nll(7), await nll(8)];
    const losses: number[] = [];
    const norms: number[] = [];
    for (let step = 0; step < c.steps; step++) {
      const { loss, gradNorm } = await gradDiffStep(model, optimizer, ids(7), ids(8));
      losses.push(loss);
      norms.push(gradNorm);
    }
    return { nllRetain, nllForget, losses, norms };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

describe.skipIf(!haveSwiftShader)('a GradDiff step on webgpu (SwiftShader) vs native', () => {
  it.each(CASES)('gives the same losses and gradient norms: $name', async (c) => {
    const reference = await twoSteps('native', c);
    const actual = await twoSteps('webgpu', c);
    const scale = reference.nllRetain + reference.nllForget;
    const relative = (a: number, b: number, scale = Math.abs(b)) => Math.abs(a - b) / scale;
    const errors: Record<string, number> = {
      nllRetain: relative(actual.nllRetain, reference.nllRetain),
      nllForget: relative(actual.nllForget, reference.nllForget),
    };
    reference.losses.forEach((loss, i) => {
      errors[`loss${i + 1}`] = relative(actual.losses[i]!, loss, scale);
      errors[`gradNorm${i + 1}`] = relative(actual.norms[i]!, reference.norms[i]!);
    });
    console.log(c.name, JSON.stringify({ reference, actual, errors }));
    // The update must move the loss by more than the tolerance, or loss2 would check nothing.
    if (c.steps > 1)
      expect(relative(reference.losses[1]!, reference.losses[0]!, scale)).toBeGreaterThan(
        10 * TOLERANCE,
      );
    for (const [name, e] of Object.entries(errors)) expect(e, name).toBeLessThanOrEqual(TOLERANCE);
  });
});
