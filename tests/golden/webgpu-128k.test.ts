/**
 * Golden numerics at a 128,256-token vocabulary (Llama 3's) on webgpu (SwiftShader where there is
 * no GPU): fixture llama-128k (tests/fixtures/make_golden.py: width 16, one layer, tied
 * embeddings). The vocabulary-wide kernels run at real size — the embedding gather and its
 * gradient (UnsortedSegmentSum over 128k rows), the LM head, log-softmax over 128k logits. The
 * fixture stays small (5.7 MB): logits at three positions, the embedding gradient at the rows the
 * input uses plus four fixed ones, and that gradient's norm; every other gradient in full.
 * Tolerance and error measures as tests/golden/fixtures.ts (1e-4, norm-relative and elementwise).
 */
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { transpose2d } from '../../src/worker/model/architectures/base.ts';
import type { CausalLM } from '../../src/worker/model/architectures/types.ts';
import { loadModel } from '../../src/worker/model/load.ts';
import { SafetensorsFile } from '../../src/worker/model/safetensors/index.ts';
import { haveSwiftShader } from '../engine/swiftshader.ts';
import { useBackend } from './backend.ts';
import { relativeErrors, TOLERANCE } from './fixtures.ts';

const FOLDER = join(import.meta.dirname, '..', 'fixtures', 'golden', 'llama-128k');
const EMBEDDING = 'model.embed_tokens.weight';

function readFixture() {
  const file = SafetensorsFile.open(join(FOLDER, 'golden.safetensors'));
  try {
    const read = (name: string) => file.readFloat32(name);
    return {
      shape: file.entry('input_ids')!.shape as [number, number],
      ids: Int32Array.from(read('input_ids')),
      mask: read('attention_mask'),
      positions: Array.from(read('logit_positions')),
      logitsAt: read('logits_at'),
      loss: read('loss')[0]!,
      lossUnmasked: read('loss_unmasked')[0]!,
      rows: Array.from(read('grad_rows')),
      embeddingRows: read(`grad_at_rows.${EMBEDDING}`),
      embeddingNorm: read(`grad_norm.${EMBEDDING}`)[0]!,
      grads: new Map(
        file.names.filter((n) => n.startsWith('grad.')).map((n) => [n.slice(5), read(n)]),
      ),
    };
  } finally {
    file.close();
  }
}

const within = (e: { norm: number; element: number }) =>
  e.norm <= TOLERANCE && e.element <= TOLERANCE;

describe.skipIf(!haveSwiftShader && process.env.NEPENTHE_SWIFTSHADER !== '0')(
  'llama-128k (vocabulary 128,256) on webgpu',
  () => {
    let model: CausalLM;
    const golden = readFixture();

    beforeAll(async () => {
      await useBackend('webgpu');
      model = loadModel(FOLDER).model;
    });
    afterAll(() => model?.dispose());

    it('has the vocabulary it claims', () => {
      expect(model.spec.vocabSize).toBe(128_256);
    });

    it('logits at three positions and the masked / unmasked NLL match PyTorch', async () => {
      const ids = tf.tensor2d(golden.ids, golden.shape, 'int32');
      const mask = tf.tensor2d(golden.mask, golden.shape);
      const logits = model.logits(ids); // (B, T, V)
      const V = logits.shape[2]!;
      const all = await logits.data();
      const ours = new Float32Array(golden.logitsAt.length);
      for (let k = 0; k < golden.positions.length / 2; k++) {
        const [b, t] = [golden.positions[2 * k]!, golden.positions[2 * k + 1]!];
        ours.set(
          all.subarray((b * golden.shape[1] + t) * V, (b * golden.shape[1] + t + 1) * V),
          k * V,
        );
      }
      const [masked, unmasked] = [model.nll(ids, mask), model.nll(ids)];
      const errors = {
        logits: relativeErrors(ours, golden.logitsAt),
        loss: relativeErrors(await masked.data(), [golden.loss]),
        lossUnmasked: relativeErrors(await unmasked.data(), [golden.lossUnmasked]),
      };
      tf.dispose([ids, mask, logits, masked, unmasked]);
      console.log('webgpu llama-128k forward', JSON.stringify(errors));
      for (const [name, e] of Object.entries(errors)) expect(within(e), name).toBe(true);
    });

    it('gradients (every parameter in full; the embedding at its rows, and its norm) match', async () => {
      const ids = tf.tensor2d(golden.ids, golden.shape, 'int32');
      const mask = tf.tensor2d(golden.mask, golden.shape);
      const names = [...model.params.keys()];
      const variables = names.map((n) => model.params.get(n)!);
      const { value, grads } = tf.variableGrads(() => model.nll(ids, mask), variables);
      const errors: Record<string, { norm: number; element: number }> = {};
      for (const [i, name] of names.entries()) {
        const v = variables[i]!;
        let data = (await grads[v.name]!.data()) as Float32Array;
        if (model.transposed.has(name)) data = transpose2d(data, v.shape[0]!, v.shape[1]!);
        if (name === EMBEDDING) {
          const width = v.shape[1]!;
          const rows = new Float32Array(golden.rows.length * width);
          golden.rows.forEach((r, k) =>
            rows.set(data.subarray(r * width, (r + 1) * width), k * width),
          );
          errors[`${name} rows`] = relativeErrors(rows, golden.embeddingRows);
          const norm = Math.sqrt(data.reduce((s, x) => s + x * x, 0));
          errors[`${name} norm`] = relativeErrors([norm], [golden.embeddingNorm]);
        } else errors[name] = relativeErrors(data, golden.grads.get(name)!);
      }
      tf.dispose([ids, mask, value, ...Object.values(grads)]);
      console.log('webgpu llama-128k gradients', JSON.stringify(errors));
      expect(Object.keys(errors)).toHaveLength(golden.grads.size + 2);
      for (const [name, e] of Object.entries(errors)) expect(within(e), name).toBe(true);
    });
  },
);
