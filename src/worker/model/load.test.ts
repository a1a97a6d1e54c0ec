/**
 * Loading and exporting: what a folder loads as (dtype, shards), that `exportWeights` gives back
 * exactly the stored tensors in HF names and layouts (undoing the transposes), that an exported
 * folder loads to the same model, and that random models are deterministic.
 */
import { copyFileSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModelSpec } from './config.ts';
import { createRandomModel, loadModel } from './load.ts';
import { Checkpoint, writeCheckpoint } from './safetensors/index.ts';

const FIXTURES = join(import.meta.dirname, '..', '..', '..', 'tests', 'fixtures', 'golden');
const scratch = mkdtempSync(join(tmpdir(), 'nepenthe-load-'));

beforeAll(async () => {
  await tf.setBackend('cpu');
});
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const ids = () => tf.tensor2d([[3, 14, 15, 92, 65, 35]], [1, 6], 'int32');

describe('loadModel', () => {
  it.each([
    ['gpt2-tiny', 'F32', ['model.safetensors']],
    [
      'llama-gqa-tiny',
      'BF16',
      ['model-00001-of-00002.safetensors', 'model-00002-of-00002.safetensors'],
    ],
    ['qwen2-tiny', 'F16', ['model.safetensors']],
  ])('%s: dtype %s, files %j', (name, dtype, files) => {
    const { spec, model, checkpoint } = loadModel(join(FIXTURES, name));
    expect(checkpoint.dtype).toBe(dtype);
    expect(checkpoint.files.map((f) => basename(f))).toEqual(files);
    expect(model.spec).toBe(spec);
    model.dispose();
  });

  it.each(['gpt2-tiny', 'llama-gqa-tiny', 'qwen2-tiny'])(
    '%s: exportWeights returns the stored tensors exactly',
    async (name) => {
      const folder = join(FIXTURES, name);
      const { model } = loadModel(folder);
      const exported = await model.exportWeights();
      model.dispose();
      const checkpoint = Checkpoint.open(folder);
      try {
        // Everything stored except buffers (GPT-2 attn.bias/masked_bias, rotary inv_freq).
        const stored = checkpoint.names
          .filter((n) => !/\.attn\.(masked_)?bias$|inv_freq$/.test(n))
          .sort();
        expect(exported.map((t) => t.name).sort()).toEqual(stored);
        for (const t of exported) {
          expect(t.shape, t.name).toEqual(checkpoint.entry(t.name)!.shape);
          expect(t.data, t.name).toEqual(checkpoint.readFloat32(t.name));
        }
      } finally {
        checkpoint.close();
      }
    },
  );

  it('an exported BF16 Llama folder loads to the same logits', async () => {
    const folder = join(FIXTURES, 'llama-gqa-tiny');
    const { model } = loadModel(folder);
    const dir = mkdtempSync(join(scratch, 'llama-'));
    copyFileSync(join(folder, 'config.json'), join(dir, 'config.json'));
    writeCheckpoint(dir, await model.exportWeights(), 'BF16', 30_000);
    const input = ids();
    const before = model.logits(input);
    const reloaded = loadModel(dir);
    const after = reloaded.model.logits(input);
    expect(await after.data()).toEqual(await before.data());
    expect(reloaded.checkpoint.files.length).toBeGreaterThan(1);
    tf.dispose([input, before, after]);
    model.dispose();
    reloaded.model.dispose();
  });
});

describe('createRandomModel', () => {
  it("is deterministic per seed and has the loaded model's parameters", async () => {
    const spec = loadModelSpec(join(FIXTURES, 'llama-gqa-tiny'));
    const [a, b, c] = [
      createRandomModel(spec, 1),
      createRandomModel(spec, 1),
      createRandomModel(spec, 2),
    ];
    const loaded = loadModel(join(FIXTURES, 'llama-gqa-tiny')).model;
    expect([...a.params].map(([n, v]) => [n, v.shape])).toEqual(
      [...loaded.params].map(([n, v]) => [n, v.shape]),
    );
    const input = ids();
    const [la, lb, lc] = [a, b, c].map((m) => m.logits(input));
    expect(await la!.data()).toEqual(await lb!.data());
    expect(await la!.data()).not.toEqual(await lc!.data());
    // N(0, 0.02) weights: near-uniform predictions, NLL ≈ ln V.
    const nll = a.nll(input);
    expect((await nll.data())[0]).toBeCloseTo(Math.log(spec.vocabSize), 1);
    tf.dispose([input, la!, lb!, lc!, nll]);
    for (const m of [a, b, c, loaded]) m.dispose();
  });

  it('writes a loadable GPT-2 folder', async () => {
    const spec = loadModelSpec(join(FIXTURES, 'gpt2-tiny'));
    const model = createRandomModel(spec, 3);
    const dir = mkdtempSync(join(scratch, 'gpt2-'));
    copyFileSync(join(FIXTURES, 'gpt2-tiny', 'config.json'), join(dir, 'config.json'));
    writeCheckpoint(dir, await model.exportWeights(), 'F32');
    const reloaded = loadModel(dir).model;
    const input = ids();
    const [x, y] = [model.logits(input), reloaded.logits(input)];
    expect(await y.data()).toEqual(await x.data());
    tf.dispose([input, x, y]);
    model.dispose();
    reloaded.dispose();
  });
});
