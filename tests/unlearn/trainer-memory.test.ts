/**
 * The trainer holds no tensors from one step to the next (the count after step 2 equals the
 * count after step 10, for all parameters, for adapters and with undial's frozen copy), and
 * gradient accumulation is a mean of micro-batch means: gradAccum 2 × batchSize 1 trains to the
 * weights of gradAccum 1 × batchSize 2 when the sequences have equal lengths.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import { createRandomModel } from '../../src/worker/model/architectures/index.ts';
import { benchSpec } from '../../src/worker/tasks/bench.ts';
import { disposeBatch, makeBatch, type TokenSequence } from '../../src/worker/unlearn/batch.ts';
import { resolveConfig } from '../../src/worker/unlearn/config.ts';
import type { MethodRun } from '../../src/worker/unlearn/method.ts';
import { methodNamed } from '../../src/worker/unlearn/methods/index.ts';
import { train } from '../../src/worker/unlearn/trainer.ts';

const VOCAB = 48;
const spec = benchSpec({ layers: 1, embd: 16, heads: 2, vocab: VOCAB, seq: 16, batch: 2 });
const sequences = (prefix: string, lengths: number[], salt: number): TokenSequence[] =>
  lengths.map((n, i) => ({
    id: `${prefix}#${i}`,
    ids: Array.from({ length: n }, (_, t) => (3 * t * t + 7 * i + salt) % VOCAB),
  }));

beforeAll(async () => {
  await selectBackend('cpu');
});
afterAll(() => tf.disposeVariables());

describe('trainer memory', () => {
  for (const [name, raw] of [
    ['graddiff', {}],
    ['bounded', { rank: 4 }],
    ['undial', { alpha: 1 }], // its frozen copy's targets, made per micro-batch, freed each step
  ] as const) {
    it(`${name}: the tensor count after step 2 equals the count after steps 10 and 11`, async () => {
      const forget = sequences(
        'f',
        [5, 8, 6, 3, 9, 4, 7, 5, 6, 8, 3, 7, 5, 8, 6, 3, 9, 4, 7, 5, 6, 8],
        1,
      );
      const retain = sequences('r', [6, 4, 9, 5], 9);
      const method = methodNamed(name);
      const config = resolveConfig(
        { ...raw, epochs: 1, batchSize: 1, gradAccum: 2, lr: 1e-3 },
        method,
        undefined,
      );
      const model = createRandomModel(spec, 2);
      const run = await method.prepare({ model, forget, retain, config });
      // The model keeps one causal mask per sequence length it has seen (a bounded cache, not a
      // leak); one forward pass per length fills it before counting.
      for (const s of [...forget, ...retain])
        tf.tidy(() => model.logits(tf.tensor2d([[...s.ids]], [1, s.ids.length], 'int32')));
      // undial's frozen copy is a model of its own with its own mask cache: its per-micro-batch
      // pass (beforeMicroBatch) once per forget length fills it; afterUpdate frees the targets.
      if (name === 'undial')
        for (const [i] of forget.entries()) {
          const batch = makeBatch(forget, [i]);
          await run.beforeMicroBatch!({ forget: batch, retain: null, step: 0 });
          run.afterUpdate!();
          disposeBatch(batch);
        }
      const counts = new Map<number, number>();
      const result = await train({
        run,
        method: name,
        forget,
        retain,
        config,
        onStep: (p) => counts.set(p.step, tf.memory().numTensors),
      });
      run.dispose();
      model.dispose();
      expect(result.records).toHaveLength(11);
      expect(counts.get(10)).toBe(counts.get(2));
      expect(counts.get(11)).toBe(counts.get(2));
    });
  }
});

describe('gradient accumulation', () => {
  it('gradAccum 2 × batchSize 1 gives the gradients and weights of gradAccum 1 × batchSize 2 (equal lengths)', async () => {
    const forget = sequences('f', [7, 7, 7, 7], 2);
    const retain = sequences('r', [7, 7, 7, 7, 7], 30);
    const weights: Float32Array[][] = [];
    const gradients: Float32Array[][][] = [];
    for (const shape of [
      { batchSize: 2, gradAccum: 1 },
      { batchSize: 1, gradAccum: 2 },
    ]) {
      const method = methodNamed('graddiff');
      const config = resolveConfig(
        { ...shape, epochs: 3, lr: 1e-2, maxGradNorm: 1, seed: 4 },
        method,
        undefined,
      );
      const model = createRandomModel(spec, 6);
      const prepared = await method.prepare({ model, forget, retain, config });
      const captured: Float32Array[][] = [];
      // Identity gradient rewrite that keeps a copy of each step's averaged gradients.
      const run: MethodRun = {
        ...prepared,
        transformGradients(grads) {
          captured.push([...grads.values()].map((g) => g.dataSync() as Float32Array));
          return new Map([...grads].map(([n, g]) => [n, g.clone()]));
        },
      };
      const result = await train({ run, method: 'graddiff', forget, retain, config });
      expect(result.records).toHaveLength(6);
      gradients.push(captured);
      weights.push(
        await Promise.all(
          [...model.params.values()].map(async (v) => (await v.data()) as Float32Array),
        ),
      );
      run.dispose();
      model.dispose();
    }
    let worst = 0;
    let moved = 0;
    const initial = createRandomModel(spec, 6);
    const start = await Promise.all(
      [...initial.params.values()].map(async (v) => (await v.data()) as Float32Array),
    );
    initial.dispose();
    weights[0]!.forEach((a, i) => {
      const b = weights[1]![i]!;
      for (let j = 0; j < a.length; j++) {
        worst = Math.max(worst, Math.abs(a[j]! - b[j]!));
        moved = Math.max(moved, Math.abs(a[j]! - start[i]![j]!));
      }
    });
    let gradWorst = 0;
    let gradScale = 0;
    gradients[0]!.forEach((step, k) =>
      step.forEach((a, i) => {
        const b = gradients[1]![k]![i]!;
        for (let j = 0; j < a.length; j++) {
          gradWorst = Math.max(gradWorst, Math.abs(a[j]! - b[j]!));
          gradScale = Math.max(gradScale, Math.abs(a[j]!));
        }
      }),
    );
    // The averaged gradients of every step agree to float32 rounding (measured 1.2e-7 on a
    // scale of 1.2). The weights agree less closely (measured 1.1e-5 after 6 steps, against
    // 6e-2 moved): AdamW divides by √v, which turns rounding noise on near-zero gradient
    // entries into update differences up to lr·|Δg|/(√v + ε).
    expect(gradScale).toBeGreaterThan(0.1);
    expect(gradWorst).toBeLessThan(1e-6);
    expect(moved).toBeGreaterThan(1e-2); // it trained
    expect(worst).toBeLessThan(1e-4);
  });
});
