/**
 * SGA (methods/sga.ts; ALGORITHMS.md "SGA"): with rate 0 it is GA exactly; its gradient is
 * −[(1 − r + r/K)·∇ℓ_f + (r/K)·Σ_k ∇ℓ_n^k] (the sign of the smoothing term checked against the
 * separate gradients); a small step with r < 0 lowers the normal sequences' NLL below what
 * r = 0 and r > 0 give while the forget NLL rises; `rate: "auto"` is estimated once before
 * training, r* = −⟨ḡ_f, v̄⟩/‖v̄‖² over the first micro-batches clamped to [−1, 1] (checked
 * against a hand computation at the starting weights), logged once, and is the rate of every
 * step and of the loss itself. Resuming an auto run: tests/unlearn/resume.test.ts.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import { createRandomModel } from '../../src/worker/model/architectures/index.ts';
import type { CausalLM } from '../../src/worker/model/architectures/types.ts';
import { benchSpec } from '../../src/worker/tasks/bench.ts';
import {
  disposeBatch,
  makeBatch,
  type Batch,
  type TokenSequence,
} from '../../src/worker/unlearn/batch.ts';
import { resolveConfig } from '../../src/worker/unlearn/config.ts';
import { meanNll } from '../../src/worker/unlearn/losses.ts';
import type { StepInput } from '../../src/worker/unlearn/method.ts';
import { methodNamed } from '../../src/worker/unlearn/methods/index.ts';
import { estimateRows } from '../../src/worker/unlearn/methods/sga.ts';
import { nearestRetain } from '../../src/worker/unlearn/neighbours.ts';
import { train } from '../../src/worker/unlearn/trainer.ts';

const VOCAB = 48;
const K = 3;
const spec = benchSpec({ layers: 1, embd: 16, heads: 2, vocab: VOCAB, seq: 16, batch: 2 });
const sequences = (prefix: string, lengths: number[], salt: number): TokenSequence[] =>
  lengths.map((n, i) => ({
    id: `${prefix}#${i}`,
    ids: Array.from({ length: n }, (_, t) => (5 * t * t + 11 * i + salt) % VOCAB),
  }));
const forget = sequences('f', [6, 9, 4], 1);
const retain = sequences('r', [7, 5, 9, 8, 6], 20);

beforeAll(async () => {
  await selectBackend('cpu');
});
afterAll(() => tf.disposeVariables());

const sgaConfig = (rate: number | 'auto') =>
  resolveConfig(
    { rate, k: K, epochs: 1, batchSize: 2, lr: 1e-2, maxGradNorm: 0 },
    methodNamed('sga'),
    undefined,
  );

const bits = async (model: CausalLM) =>
  Promise.all(
    [...model.params.values()].map(async (v) =>
      Array.from(new Uint32Array(((await v.data()) as Float32Array).slice().buffer)),
    ),
  );

/** Gradients of `f` w.r.t. the model's parameters, in parameter order. */
function gradients(model: CausalLM, f: () => tf.Scalar): tf.Tensor[] {
  const vars = [...model.params.values()];
  const { value, grads } = tf.variableGrads(f, vars);
  value.dispose();
  return vars.map((v) => grads[v.name]!);
}
const dot = (a: tf.Tensor[], b: tf.Tensor[]) =>
  a.reduce((s, x, i) => s + tf.tidy(() => x.mul(b[i]!).sum().dataSync()[0]!), 0);

/**
 * The normal-sequence batches SGA builds for forget rows `rows` (its default neighbours, by
 * embedding at the model's current weights): batch k holds each row's k-th neighbour.
 */
async function normalBatches(model: CausalLM, rows: readonly number[]): Promise<Batch[]> {
  const neighbours = await nearestRetain(model, forget, retain, K - 1, 'embedding', 2);
  return Array.from({ length: K - 1 }, (_, k) =>
    makeBatch(
      retain,
      rows.map((r) => neighbours[r]![k]!),
    ),
  );
}

describe('sga', () => {
  it('with rate 0 trains to exactly the weights GA trains to', async () => {
    const weights = [];
    for (const name of ['sga', 'ga']) {
      const method = methodNamed(name);
      const config =
        name === 'sga'
          ? sgaConfig(0)
          : resolveConfig({ epochs: 2, batchSize: 2, lr: 1e-2, maxGradNorm: 0 }, method, undefined);
      const model = createRandomModel(spec, 17);
      const run = await method.prepare({
        model,
        forget,
        retain: name === 'sga' ? retain : [],
        config: { ...config, epochs: 2 },
      });
      const result = await train({
        run,
        method: name,
        forget,
        retain: name === 'sga' ? retain : [],
        config: { ...config, epochs: 2 },
      });
      expect(result.records).toHaveLength(4);
      weights.push(await bits(model));
      run.dispose();
      model.dispose();
    }
    expect(weights[0]).toEqual(weights[1]);
    // and the runs trained: the weights are not the initial ones
    const initial = createRandomModel(spec, 17);
    expect(await bits(initial)).not.toEqual(weights[0]);
    initial.dispose();
  });

  it('has gradient −[(1 − r + r/K)·∇ℓ_f + (r/K)·Σ∇ℓ_n]', async () => {
    const r = -0.4;
    const model = createRandomModel(spec, 5);
    const run = await methodNamed('sga').prepare({ model, forget, retain, config: sgaConfig(r) });
    const input: StepInput = { forget: makeBatch(forget, [0, 1]), retain: null, step: 0 };
    const normal = await normalBatches(model, [0, 1]);
    try {
      await run.beforeMicroBatch!(input);
      const g = gradients(model, () => run.loss(input).total);
      const gf = gradients(model, () => meanNll(model, input.forget));
      const gn = normal.map((b) => gradients(model, () => meanNll(model, b)));
      const expected = gf.map((x, i) =>
        tf.tidy(() => gn.reduce((s, n) => s.add(n[i]!.mul(r / K)), x.mul(1 - r + r / K)).neg()),
      );
      const diff = g.map((x, i) => x.sub(expected[i]!));
      const relative = Math.sqrt(dot(diff, diff) / dot(expected, expected));
      expect(relative).toBeLessThan(1e-5);
      // the smoothing term matters here: the plain-GA gradient −∇ℓ_f is far from it
      const ga = gf.map((x) => x.neg());
      const gaDiff = g.map((x, i) => x.sub(ga[i]!));
      expect(Math.sqrt(dot(gaDiff, gaDiff) / dot(expected, expected))).toBeGreaterThan(0.05);
      tf.dispose([...g, ...gf, ...gn.flat(), ...expected, ...diff, ...ga, ...gaDiff]);
    } finally {
      disposeBatch(input.forget);
      normal.forEach(disposeBatch);
      run.dispose();
      model.dispose();
    }
  });

  it('r < 0 descends on the normal sequences and ascends on the forget sequence', async () => {
    const rows = [0, 1];
    /** NLL of forget rows and of their normal sequences after one plain gradient step on L_SGA(r). */
    const afterStep = async (r: number) => {
      const model = createRandomModel(spec, 5);
      const run = await methodNamed('sga').prepare({ model, forget, retain, config: sgaConfig(r) });
      const input: StepInput = { forget: makeBatch(forget, rows), retain: null, step: 0 };
      const normal = await normalBatches(model, rows);
      const measure = () =>
        tf.tidy(() => ({
          forget: meanNll(model, input.forget).dataSync()[0]!,
          normal: normal.reduce((s, b) => s + meanNll(model, b).dataSync()[0]!, 0) / normal.length,
        }));
      await run.beforeMicroBatch!(input);
      const before = measure();
      const g = gradients(model, () => run.loss(input).total);
      [...model.params.values()].forEach((v, i) => tf.tidy(() => v.assign(v.sub(g[i]!.mul(1e-2)))));
      const after = measure();
      tf.dispose(g);
      disposeBatch(input.forget);
      normal.forEach(disposeBatch);
      run.dispose();
      model.dispose();
      return { before, after };
    };
    const negative = await afterStep(-0.4);
    const zero = await afterStep(0);
    const positive = await afterStep(0.4);
    expect(negative.after.normal).toBeLessThan(negative.before.normal);
    expect(negative.after.forget).toBeGreaterThan(negative.before.forget);
    // monotone in r: the smoothing term moves the normal NLL the way its sign says
    expect(negative.after.normal).toBeLessThan(zero.after.normal);
    expect(zero.after.normal).toBeLessThan(positive.after.normal);
    // and r < 0 amplifies the ascent on x_f by 1 + |r|(K − 1)/K
    expect(negative.after.forget).toBeGreaterThan(zero.after.forget);
  });

  it('rate "auto" is estimated once, before training, and is the rate of every step', async () => {
    const config = { ...sgaConfig('auto'), epochs: 2 };
    const model = createRandomModel(spec, 8);
    // r* by hand at the starting weights, gradients summed over the estimate's micro-batches
    const rowsOf = estimateRows(config, forget.length, retain.length);
    expect(rowsOf).toHaveLength(2); // 3 forget sequences, 2 per micro-batch: all of epoch 0
    const rStar = async (micro: number[][]) => {
      const gf: tf.Tensor[][] = [];
      const v: tf.Tensor[][] = [];
      for (const rows of micro) {
        const fb = makeBatch(forget, rows);
        const normal = await normalBatches(model, rows);
        const g = gradients(model, () => meanNll(model, fb));
        const gn = normal.map((b) => gradients(model, () => meanNll(model, b)));
        v.push(
          g.map((x, i) =>
            tf.tidy(() => gn.reduce((s, n) => s.add(n[i]!.sub(x).div(K)), tf.zerosLike(x))),
          ),
        );
        gf.push(g);
        tf.dispose(gn.flat());
        disposeBatch(fb);
        normal.forEach(disposeBatch);
      }
      const sum = (parts: tf.Tensor[][]) =>
        parts[0]!.map((_, i) => tf.addN(parts.map((p) => p[i]!)));
      const [gfSum, vSum] = [sum(gf), sum(v)];
      const r = Math.max(-1, Math.min(1, -dot(gfSum, vSum) / dot(vSum, vSum)));
      tf.dispose([...gf.flat(), ...v.flat(), ...gfSum, ...vSum]);
      return r;
    };
    const expected = await rStar(rowsOf);
    // averaging over the micro-batches matters here: the first one alone gives another r*
    expect(Math.abs((await rStar(rowsOf.slice(0, 1))) - expected)).toBeGreaterThan(1e-3);

    const lines: string[] = [];
    const run = await methodNamed('sga').prepare({
      model,
      forget,
      retain,
      config,
      onLog: (line) => lines.push(line),
    });
    expect(lines).toHaveLength(1);
    expect(lines[0]).toContain('r* = ');
    const logged = Number(/r\* = (\S+)/.exec(lines[0]!)![1]);
    expect(logged).toBeCloseTo(expected, 4);
    expect(Math.abs(logged)).toBeLessThanOrEqual(1);

    // the loss uses exactly the logged rate
    const input: StepInput = { forget: makeBatch(forget, [0, 1]), retain: null, step: 0 };
    await run.beforeMicroBatch!(input);
    const normal = await normalBatches(model, [0, 1]);
    const [total, lf, ln] = tf.tidy(() => [
      run.loss(input).total.dataSync()[0]!,
      meanNll(model, input.forget).dataSync()[0]!,
      normal.reduce((s, b) => s + meanNll(model, b).dataSync()[0]!, 0),
    ]);
    expect(total).toBeCloseTo(-((1 - logged + logged / K) * lf! + (logged / K) * ln!), 5);
    disposeBatch(input.forget);
    normal.forEach(disposeBatch);

    const { records } = await train({ run, method: 'sga', forget, retain, config });
    run.dispose();
    model.dispose();
    expect(records).toHaveLength(4);
    // every step trained with the one-off rate, although the weights moved in between
    expect(records.map((r) => r.extra.rate)).toEqual(records.map(() => logged));
    expect(records.at(-1)!.loss).not.toBe(records[0]!.loss);
  });
});
