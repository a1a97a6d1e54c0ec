/**
 * GradDiff's two mean NLLs from one forward pass over both batches equal the two separate
 * passes — values and gradients — when the batches have different widths (one is padded).
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import { loadModel } from '../../src/worker/model/load.ts';
import { makeBatch } from '../../src/worker/unlearn/batch.ts';
import { jointMeanNll, meanNll } from '../../src/worker/unlearn/losses.ts';

const FIXTURE = join(import.meta.dirname, '..', 'fixtures', 'golden', 'llama-gqa-tiny');

afterAll(async () => {
  await selectBackend('cpu');
});

describe.each(['cpu', 'native'] as const)('jointMeanNll on %s', (backend) => {
  it('equals meanNll of each batch, with its gradients, across widths', async () => {
    await selectBackend(backend);
    const { model } = loadModel(FIXTURE);
    try {
      const forget = makeBatch(
        [
          { id: 'f#0', ids: [5, 9, 2, 7, 1, 3, 8] },
          { id: 'f#1', ids: [4, 4, 6] },
        ],
        [0, 1],
      );
      const retain = makeBatch(
        [
          { id: 'r#0', ids: [11, 2, 3, 19] },
          { id: 'r#1', ids: [7, 1] },
          { id: 'r#2', ids: [3, 3, 3, 1, 2] },
        ],
        [0, 1, 2],
      );
      const params = [...model.params.values()];
      const loss = (pair: () => [tf.Scalar, tf.Scalar]) => () => {
        const [f, r] = pair();
        return f.mul(-0.7).add(r.mul(1.3)) as tf.Scalar;
      };
      // The model caches a causal mask per width: warm both widths up before counting tensors.
      tf.tidy(() => [meanNll(model, forget), meanNll(model, retain)]);
      const before = tf.memory().numTensors;
      const separate = tf.variableGrads(
        loss(() => [meanNll(model, forget), meanNll(model, retain)]),
        params,
      );
      const joint = tf.variableGrads(
        loss(() => jointMeanNll(model, forget, retain)),
        params,
      );
      const values = tf.tidy(() => {
        const [f, r] = jointMeanNll(model, forget, retain);
        return [
          f.dataSync()[0]!,
          r.dataSync()[0]!,
          meanNll(model, forget).dataSync()[0]!,
          meanNll(model, retain).dataSync()[0]!,
        ];
      });
      expect(Math.abs(values[0]! - values[2]!)).toBeLessThan(1e-5 * values[2]!);
      expect(Math.abs(values[1]! - values[3]!)).toBeLessThan(1e-5 * values[3]!);
      expect(Math.abs(joint.value.dataSync()[0]! - separate.value.dataSync()[0]!)).toBeLessThan(
        1e-5,
      );
      for (const name of Object.keys(separate.grads)) {
        const error = tf.tidy(
          () =>
            tf.norm(tf.sub(joint.grads[name]!, separate.grads[name]!)).dataSync()[0]! /
            Math.max(tf.norm(separate.grads[name]!).dataSync()[0]!, 1e-12),
        );
        expect(error, name).toBeLessThan(1e-5);
      }
      tf.dispose([
        joint.value,
        separate.value,
        ...Object.values(joint.grads),
        ...Object.values(separate.grads),
      ]);
      expect(tf.memory().numTensors).toBe(before);
      tf.dispose([forget.ids, forget.mask, retain.ids, retain.mask]);
    } finally {
      model.dispose();
    }
  });
});
