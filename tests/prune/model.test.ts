/**
 * The pruners on a tiny random GPT-2: only block linears change, per-matrix counts are exact,
 * and Wanda scores each block with activations from the already pruned blocks before it.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { createRandomModel } from '../../src/worker/model/architectures/index.ts';
import type { CausalLM } from '../../src/worker/model/architectures/types.ts';
import { isBlockLinearWeight } from '../../src/worker/model/weight-names.ts';
import { inputNorms } from '../../src/worker/prune/activations.ts';
import { PRUNERS } from '../../src/worker/prune/index.ts';
import { applyMask, blockLinears, readMatrix } from '../../src/worker/prune/matrices.ts';
import { wandaMask } from '../../src/worker/prune/wanda.ts';
import { benchSpec } from '../../src/worker/tasks/bench.ts';
import type { TokenSequence } from '../../src/worker/unlearn/batch.ts';

const SHAPE = { layers: 3, embd: 32, heads: 4, vocab: 64, seq: 16, batch: 1 };

function tinyModel(seed = 3): CausalLM {
  const model = createRandomModel(benchSpec(SHAPE), seed);
  // Give biases (zeros) and norms (ones) random values too, so zeroing one would show.
  let i = 0;
  for (const [name, v] of model.params)
    if (!isBlockLinearWeight(name))
      tf.tidy(() => v.assign(tf.randomNormal(v.shape, 0, 0.5, 'float32', 1000 + i++)));
  return model;
}

const calibration: TokenSequence[] = [0, 1, 2, 3, 4].map((s) => ({
  id: `c#${s}`,
  ids: Array.from({ length: s === 4 ? 9 : 16 }, (_, t) => (s * 13 + t * 7) % SHAPE.vocab),
}));

async function snapshot(model: CausalLM): Promise<Map<string, Float32Array>> {
  const out = new Map<string, Float32Array>();
  for (const [name, v] of model.params) out.set(name, (await v.data()) as Float32Array);
  return out;
}

function zeros(values: Float32Array): number {
  return values.reduce((n, x) => n + (x === 0 ? 1 : 0), 0);
}

beforeAll(async () => {
  await tf.setBackend('cpu');
});

describe.each([
  ['magnitude', { kind: 'unstructured', fraction: 0.5 }],
  ['magnitude', { kind: 'nm', n: 2, m: 4 }],
  ['wanda', { kind: 'unstructured', fraction: 0.3 }],
  ['wanda', { kind: 'nm', n: 2, m: 4 }],
] as const)('%s %j', (method, target) => {
  it('zeroes the exact count in every block linear and touches nothing else', async () => {
    const model = tinyModel();
    const before = await snapshot(model);
    const layers = await PRUNERS.get(method)!.prune(model, { target, calibration });
    const after = await snapshot(model);
    const fraction = target.kind === 'nm' ? target.n / target.m : target.fraction;
    const linearNames = [...before.keys()].filter(isBlockLinearWeight);
    expect(layers.map((l) => l.name).sort()).toEqual(linearNames.sort());
    expect(linearNames).toHaveLength(4 * SHAPE.layers);
    for (const [name, values] of after) {
      const old = before.get(name)!;
      if (!isBlockLinearWeight(name)) {
        expect(values, name).toEqual(old);
        continue;
      }
      const [inDim, outDim] = model.params.get(name)!.shape as [number, number];
      // Per output row for wanda, per matrix for magnitude: both give round(f·size) here.
      expect(zeros(values), name).toBe(
        method === 'wanda'
          ? outDim * Math.round(fraction * inDim)
          : Math.round(fraction * values.length),
      );
      // surviving weights are unchanged
      for (let p = 0; p < values.length; p++) if (values[p] !== 0) expect(values[p]).toBe(old[p]);
      expect(layers.find((l) => l.name === name)!.sparsity).toBe(zeros(values) / values.length);
    }
    model.dispose();
  });
});

describe('wanda is sequential', () => {
  it('scores block l on activations through blocks < l already pruned (and that differs)', async () => {
    const target = { kind: 'unstructured', fraction: 0.5 } as const;
    const pruned = tinyModel();
    await PRUNERS.get('wanda')!.prune(pruned, { target, calibration });
    const result = await snapshot(pruned);
    pruned.dispose();

    // The same by hand: measure, prune block 0; measure again, prune block 1; ...
    const byHand = tinyModel();
    const oneShot = tinyModel(); // all blocks scored on the unpruned model's activations
    const unprunedNorms = await inputNorms(oneShot, calibration);
    for (let layer = 0; layer < SHAPE.layers; layer++) {
      const norms = await inputNorms(byHand, calibration);
      for (const model of [byHand, oneShot]) {
        for (const linear of blockLinears(model).filter((l) => l.layer === layer)) {
          const w = await readMatrix(linear);
          const n = (model === byHand ? norms : unprunedNorms).get(linear.name)!;
          applyMask(linear, w, wandaMask(linear.name, w, n, linear.inDim, linear.outDim, target));
        }
      }
    }
    const sequential = await snapshot(byHand);
    const nonSequential = await snapshot(oneShot);
    for (const [name, values] of result) expect(values, name).toEqual(sequential.get(name));
    // block 0 sees the same activations either way; later blocks do not
    const differs = (name: string) =>
      result.get(name)!.some((x, p) => (x === 0) !== (nonSequential.get(name)![p] === 0));
    const names = [...result.keys()].filter(isBlockLinearWeight);
    expect(names.filter((n) => n.includes('.h.0.')).some(differs)).toBe(false);
    expect(names.filter((n) => n.includes('.h.1.')).some(differs)).toBe(true);
    byHand.dispose();
    oneShot.dispose();
  });
});

describe('inputNorms', () => {
  it('is the 2-norm of each input column over every token of every sequence', async () => {
    // A stand-in model whose "forward" shows each linear a known input: rows are the token ids.
    let hooks: Parameters<CausalLM['setLinearHooks']>[0] = null;
    const fake = {
      setLinearHooks(h: typeof hooks) {
        hooks = h;
      },
      logits(ids: tf.Tensor2D) {
        const x = tf.cast(ids.reshape([-1, 1]).tile([1, 2]), 'float32').mul(tf.tensor1d([1, 2])); // (N, 2)
        hooks?.observeInput?.('h.0.mlp.c_fc.weight', x as tf.Tensor2D);
        hooks?.observeInput?.('wte.weight', x as tf.Tensor2D); // not a block linear: ignored
        return tf.zeros([1, 1, 1]);
      },
    } as unknown as CausalLM;
    const norms = await inputNorms(fake, [
      { id: 'a', ids: [1, 2] },
      { id: 'b', ids: [3] },
      { id: 'c', ids: [] },
    ]);
    expect([...norms.keys()]).toEqual(['h.0.mlp.c_fc.weight']);
    const n = Math.sqrt(1 + 4 + 9);
    expect([...norms.get('h.0.mlp.c_fc.weight')!]).toEqual([Math.fround(n), Math.fround(2 * n)]);
    expect(hooks).toBeNull();
  });
});
