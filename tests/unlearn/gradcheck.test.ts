/**
 * Every method's loss has the gradient tfjs computes for it: the directional derivative ⟨∇L, d⟩
 * from `tf.variableGrads` matches central finite differences (L(θ+εd) − L(θ−εd))/2ε on a tiny
 * random GPT-2 (cpu backend), with padded batches of different lengths so the masks matter.
 * The parameters are nudged off the prepared point first, so the reference terms (KL's frozen
 * copy, NPO's log π_ref, UNDIAL's frozen logits) are not at their stationary point.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import { createRandomModel } from '../../src/worker/model/architectures/index.ts';
import { benchSpec } from '../../src/worker/tasks/bench.ts';
import { disposeBatch, makeBatch, type TokenSequence } from '../../src/worker/unlearn/batch.ts';
import { resolveConfig } from '../../src/worker/unlearn/config.ts';
import type { StepInput } from '../../src/worker/unlearn/method.ts';
import { methodNamed } from '../../src/worker/unlearn/methods/index.ts';

const VOCAB = 48;
const spec = benchSpec({ layers: 1, embd: 16, heads: 2, vocab: VOCAB, seq: 16, batch: 2 });

/** Deterministic token sequences of the given lengths. */
const sequences = (prefix: string, lengths: number[], salt: number): TokenSequence[] =>
  lengths.map((n, i) => ({
    id: `${prefix}#${i}`,
    ids: Array.from({ length: n }, (_, t) => (7 * t + 13 * i + salt) % VOCAB),
  }));
const forget = sequences('f', [5, 9, 3], 1);
const retain = sequences('r', [7, 4, 9, 6], 5);

const CASES: [string, object][] = [
  ['ga', {}],
  ['graddiff', { alpha: 0.7, gamma: 1.3 }],
  ['kl', {}],
  ['npo', { beta: 0.5 }],
  ['simnpo', {}],
  ['undial', {}],
  ['undial', { alpha: 0.5, gamma: 1.5, beta: 3 }],
  ['sga', { rate: -0.4, k: 3 }],
  ['bounded', { rank: 4, omega: 100, bound: 'sine' }],
];

beforeAll(async () => {
  await selectBackend('cpu');
});
afterAll(() => tf.disposeVariables());

const norm = (ts: tf.Tensor[]) =>
  Math.sqrt(ts.reduce((s, t) => s + tf.tidy(() => t.square().sum().dataSync()[0]!), 0));

/** Adds N(0, std²) noise to each variable (seeded). */
function nudge(vars: tf.Variable[], std: number, seed: number): void {
  vars.forEach((v, i) =>
    tf.tidy(() => v.assign(v.add(tf.randomNormal(v.shape, 0, std, 'float32', seed + i)))),
  );
}

describe('method losses match finite differences', () => {
  for (const [name, raw] of CASES) {
    it(`${name} ${JSON.stringify(raw)}`, async () => {
      const method = methodNamed(name);
      const config = resolveConfig({ ...raw, batchSize: 3 }, method, undefined);
      const model = createRandomModel(spec, 3);
      const run = await method.prepare({ model, forget, retain, config });
      const vars = [...run.trainable.values()];
      // Off the prepared point: bounded's B starts at 0 (sin linear there), KL at its minimum.
      nudge(vars, name === 'bounded' ? 0.01 : 0.02, 40);
      const input: StepInput = {
        forget: makeBatch(forget, [0, 1, 2]),
        retain: makeBatch(retain, [1, 2, 3]),
        step: 0,
      };
      try {
        await run.beforeMicroBatch?.(input);
        const { value, grads } = tf.variableGrads(() => run.loss(input).total, vars);
        const g = vars.map((v) => grads[v.name]!);
        const random = vars.map((v, i) => tf.randomNormal(v.shape, 0, 1, 'float32', 900 + i));
        const [gNorm, rNorm] = [norm(g), norm(random)];
        // Random unit + unit gradient: a float32 loss resolves a central difference only to
        // ~1e-4, and a purely random direction in ~10⁴ weights has a derivative near that.
        const direction = vars.map((_, i) =>
          tf.tidy(() => random[i]!.div(rNorm).add(g[i]!.div(gNorm))),
        );
        const analytic = g.reduce(
          (s, gi, i) => s + tf.tidy(() => gi.mul(direction[i]!).sum().dataSync()[0]!),
          0,
        );
        value.dispose();
        tf.dispose([...g, ...random]);

        const eps = 1e-3;
        const original = vars.map((v) => v.clone());
        const lossAt = (step: number) => {
          vars.forEach((v, i) =>
            tf.tidy(() => v.assign(original[i]!.add(direction[i]!.mul(step)))),
          );
          return tf.tidy(() => run.loss(input).total.dataSync()[0]!);
        };
        const numeric = (lossAt(eps) - lossAt(-eps)) / (2 * eps);
        vars.forEach((v, i) => v.assign(original[i]!));
        tf.dispose([...original, ...direction]);

        expect(Math.abs(analytic)).toBeGreaterThan(0.05);
        expect(Math.abs(numeric - analytic) / Math.abs(analytic)).toBeLessThan(1e-2);
      } finally {
        disposeBatch(input.forget);
        disposeBatch(input.retain);
        run.dispose();
        model.dispose();
      }
    });
  }
});
