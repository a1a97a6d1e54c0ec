/**
 * UNDIAL's loss and gradient against PyTorch (tests/fixtures/make_golden.py undial_gpt2_tiny, our
 * own float64 implementation of the published definition): the gpt2-tiny fixture's weights are
 * the frozen original, the trained model is those weights plus noise, and the forget and retain
 * batches are padded as the trainer pads them. The method is prepared on the original weights
 * (its frozen copy is taken then), the noisy weights are assigned, and one micro-batch's loss,
 * its terms and the gradient of every parameter must match within the golden tolerance
 * (fixtures.ts), on the cpu and the native backend.
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { transpose2d } from '../../src/worker/model/architectures/base.ts';
import { loadModel } from '../../src/worker/model/load.ts';
import { SafetensorsFile } from '../../src/worker/model/safetensors/index.ts';
import { disposeBatch, makeBatch, type TokenSequence } from '../../src/worker/unlearn/batch.ts';
import { resolveConfig } from '../../src/worker/unlearn/config.ts';
import type { StepInput } from '../../src/worker/unlearn/method.ts';
import { methodNamed } from '../../src/worker/unlearn/methods/index.ts';
import { useBackend, type TestBackend } from './backend.ts';
import { fixtureFolder, relativeErrors, TOLERANCE, type Errors } from './fixtures.ts';

const GOLDEN = join(
  import.meta.dirname,
  '..',
  'fixtures',
  'golden',
  'methods',
  'undial.safetensors',
);

function readGolden() {
  const file = SafetensorsFile.open(GOLDEN);
  try {
    const tensors = new Map(file.names.map((n) => [n, file.readFloat32(n)]));
    const shapes = new Map(file.names.map((n) => [n, file.entry(n)!.shape]));
    return { tensors, shapes };
  } finally {
    file.close();
  }
}
const golden = readGolden();
const value = (name: string) => golden.tensors.get(name)![0]!;

/** The golden's padded (B, T) ids and mask as the token sequences they pad. */
function sequences(name: 'forget' | 'retain'): { set: TokenSequence[]; mask: Float32Array } {
  const ids = golden.tensors.get(`${name}_ids`)!;
  const mask = golden.tensors.get(`${name}_mask`)!;
  const [B, T] = golden.shapes.get(`${name}_ids`)! as [number, number];
  const set = Array.from({ length: B }, (_, b) => {
    const row = Array.from(ids.subarray(b * T, (b + 1) * T));
    const n = Array.from(mask.subarray(b * T, (b + 1) * T)).filter((m) => m === 1).length;
    return { id: `${name}#${b}`, ids: row.slice(0, n) };
  });
  return { set, mask };
}

for (const backend of ['cpu', 'native'] as TestBackend[]) {
  describe(`undial on gpt2-tiny against PyTorch, ${backend}`, () => {
    afterAll(() => tf.disposeVariables());

    it('loss, its terms and every parameter gradient match', async () => {
      await useBackend(backend);
      const { model } = loadModel(fixtureFolder('gpt2-tiny'));
      const method = methodNamed('undial');
      const config = resolveConfig(
        { beta: value('beta'), gamma: value('gamma'), alpha: value('alpha') },
        method,
        undefined,
      );
      const forget = sequences('forget');
      const retain = sequences('retain');
      const run = await method.prepare({ model, forget: forget.set, retain: retain.set, config });
      const input: StepInput = {
        forget: makeBatch(forget.set, [0, 1]),
        retain: makeBatch(retain.set, [0, 1]),
        step: 0,
      };
      try {
        // The trainer's padding is the golden's.
        expect(Array.from(await input.forget.mask.data())).toEqual(Array.from(forget.mask));
        expect(Array.from(await input.retain!.mask.data())).toEqual(Array.from(retain.mask));
        // The trained weights: the original's plus the golden's noise (the frozen copy keeps the original).
        for (const [name, v] of model.params) {
          const hf = golden.tensors.get(`student.${name}`)!;
          const data = model.transposed.has(name) ? transpose2d(hf, v.shape[1]!, v.shape[0]!) : hf;
          v.assign(tf.tensor(data, v.shape));
        }
        await run.beforeMicroBatch?.(input);
        const variables = [...model.params.values()];
        const kept: Record<string, tf.Scalar> = {};
        const { value: total, grads } = tf.variableGrads(() => {
          const { total, terms } = run.loss(input);
          for (const [k, t] of Object.entries(terms)) kept[k] = tf.keep(t.clone());
          return total;
        }, variables);
        const errors = new Map<string, Errors>([
          ['loss', relativeErrors(await total.data(), [value('loss')])],
          ['undial', relativeErrors(await kept.undial!.data(), [value('undial')])],
          ['retain_nll', relativeErrors(await kept.retainNll!.data(), [value('retain_nll')])],
        ]);
        for (const [name, v] of model.params) {
          const data = (await grads[v.name]!.data()) as Float32Array;
          const hf = model.transposed.has(name)
            ? transpose2d(data, v.shape[0]!, v.shape[1]!)
            : data;
          errors.set(name, relativeErrors(hf, golden.tensors.get(`grad.${name}`)!));
        }
        tf.dispose([total, ...Object.values(grads), ...Object.values(kept)]);
        const worst = Math.max(...[...errors.values()].map((e) => Math.max(e.norm, e.element)));
        console.log(
          `${backend} undial: loss ${value('loss')}, ${errors.size - 3} gradients, worst relative error ${worst.toExponential(2)}`,
        );
        expect(golden.tensors.size).toBeGreaterThan(0);
        expect([...golden.tensors.keys()].filter((n) => n.startsWith('grad.')).sort()).toEqual(
          [...model.params.keys()].map((n) => `grad.${n}`).sort(),
        );
        const bad = [...errors].filter(([, e]) => !(e.norm <= TOLERANCE && e.element <= TOLERANCE));
        expect(
          bad.map(
            ([n, e]) =>
              `${n}: norm ${e.norm.toExponential(2)}, element ${e.element.toExponential(2)}`,
          ),
        ).toEqual([]);
      } finally {
        disposeBatch(input.forget);
        disposeBatch(input.retain);
        run.dispose();
        model.dispose();
      }
    });
  });
}
