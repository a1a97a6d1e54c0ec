/**
 * Gradient checkpointing (TransformerLM.setCheckpointing): the same loss and the same gradient
 * for every parameter as without it, on both families and with a weight hook (SAU's mask), with
 * fewer bytes of tensors alive at the peak; a projection hook (LoRA) turns it off.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import { loadNativeAddon } from '../../src/worker/engine/native/addon.ts';
import { createRandomModel } from '../../src/worker/model/architectures/index.ts';
import type { CausalLM } from '../../src/worker/model/architectures/types.ts';
import { tinyGpt2, tinyLlama } from '../helpers/tiny-specs.ts';

const gpt2 = tinyGpt2(4, 64);
const llama = tinyLlama(4, 64);

beforeAll(async () => {
  await selectBackend('cpu');
});
afterAll(() => tf.disposeVariables());

interface Run {
  loss: number;
  grads: Map<string, Float32Array>;
  peakBytes: number;
}

async function lossAndGrads(model: CausalLM, on: boolean): Promise<Run> {
  model.setCheckpointing(on);
  const ids = tf.tensor2d(
    Array.from({ length: 2 * 64 }, (_, i) => (i * 11 + 5) % 64),
    [2, 64],
    'int32',
  );
  const mask = tf.tensor2d(
    Array.from({ length: 2 * 64 }, (_, i) => (i < 64 + 40 ? 1 : 0)),
    [2, 64],
  );
  let out: { value: tf.Scalar; grads: tf.NamedTensorMap } | undefined;
  const profile = await tf.profile(() => {
    out = tf.variableGrads(() => model.nll(ids, mask), [...model.params.values()]);
    return [];
  });
  const { value, grads } = out!;
  const run: Run = {
    loss: value.dataSync()[0]!,
    grads: new Map(
      [...model.params].map(([n, v]) => [n, grads[v.name]!.dataSync() as Float32Array]),
    ),
    peakBytes: profile.peakBytes,
  };
  tf.dispose([ids, mask, value, ...Object.values(grads)]);
  model.setCheckpointing(false);
  return run;
}

function expectSame(a: Run, b: Run): void {
  expect(b.loss).toBeCloseTo(a.loss, 6);
  for (const [name, want] of a.grads) {
    const got = b.grads.get(name)!;
    const scale = Math.max(1e-12, ...Array.from(want, Math.abs));
    let diff = 0;
    for (let i = 0; i < want.length; i++) diff = Math.max(diff, Math.abs(want[i]! - got[i]!));
    expect(diff / scale, name).toBeLessThan(1e-5);
  }
}

describe.each([
  ['gpt2', gpt2],
  ['llama', llama],
] as const)('gradient checkpointing on %s', (_, spec) => {
  it.each(['cpu', 'native'] as const)(
    'gives the same loss and gradients, with less memory at the peak and nothing left behind (%s)',
    async (backend) => {
      if (backend === 'native' && !loadNativeAddon(1).ok) return;
      await selectBackend(backend);
      const model = createRandomModel(spec, 2);
      const plain = await lossAndGrads(model, false);
      const tensors = tf.memory().numTensors;
      const checkpointed = await lossAndGrads(model, true);
      expect(tf.memory().numTensors).toBe(tensors);
      expectSame(plain, checkpointed);
      expect([...plain.grads.values()].some((g) => g.some((x) => x !== 0))).toBe(true);
      expect(checkpointed.peakBytes).toBeLessThan(0.8 * plain.peakBytes);
      model.dispose();
      await selectBackend('cpu');
    },
  );

  it('keeps a weight hook in the recomputation (SAU: the mask on every weight)', async () => {
    const model = createRandomModel(spec, 3);
    model.setLinearHooks({ weight: (_name, base) => base.mul(0.5) });
    const plain = await lossAndGrads(model, false);
    const checkpointed = await lossAndGrads(model, true);
    expectSame(plain, checkpointed);
    model.dispose();
  });

  it('is off under a projection hook (LoRA adapters are not the layer’s parameters)', async () => {
    const model = createRandomModel(spec, 4);
    model.setLinearHooks({ project: () => null });
    const plain = await lossAndGrads(model, false);
    const asked = await lossAndGrads(model, true);
    expectSame(plain, asked);
    expect(asked.peakBytes).toBe(plain.peakBytes);
    model.dispose();
  });
});
