/**
 * SGA's normal sequences (src/worker/unlearn/neighbours.ts). `finalHidden` is the state the head
 * reads (its product with the tied embedding is `logits`). By embedding, the ranking equals a
 * direct computation — each sequence run alone, unpadded, its hidden states averaged and
 * compared by cosine here — although the method batches and pads. On a constructed case the two
 * similarities disagree where they should: token overlap compares sets, so a sequence made of
 * the forget sequence's rare token repeated scores Jaccard 1, while the embedding weighs each
 * token by how often it occurs and ranks first the sequence made mostly of the forget sequence's
 * dominant token (Jaccard 1/3). Ties go to the lower retain index either way.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import { createRandomModel } from '../../src/worker/model/architectures/index.ts';
import type { CausalLM } from '../../src/worker/model/architectures/types.ts';
import { benchSpec } from '../../src/worker/tasks/bench.ts';
import type { TokenSequence } from '../../src/worker/unlearn/batch.ts';
import { nearestRetain } from '../../src/worker/unlearn/neighbours.ts';

const VOCAB = 48;
const spec = benchSpec({ layers: 2, embd: 16, heads: 2, vocab: VOCAB, seq: 16, batch: 2 });
const seq = (id: string, ids: number[]): TokenSequence => ({ id, ids });

const [a, b, c] = [3, 17, 8];
const f = [a, b, b, b, b, b, b, b];
const forget = [seq('f#0', f), seq('f#1', [9, 9, 14, 2, 36])];
const retain = [
  seq('r#0', [30, 31, 32, 33, 34, 35]), // shares nothing with f
  seq('r#1', [a, a, a, a, a, a, a, b]), // f's token set exactly (Jaccard 1), mostly a
  seq('r#2', [c, b, b, b, b, b, b, b]), // f but its first token (Jaccard 1/3)
  seq('r#3', [a, b, c, 29]), // Jaccard 1/2
  seq('r#4', [2, 14, 9, 36, 1, 7, 12]),
];

let model: CausalLM;
beforeAll(async () => {
  await selectBackend('cpu');
  model = createRandomModel(spec, 21);
});
afterAll(() => {
  model.dispose();
  tf.disposeVariables();
});

/** Mean final hidden state of one sequence run alone (no padding), in float64. */
function aloneMean(ids: readonly number[]): Float64Array {
  const h = tf.tidy(() => model.finalHidden(tf.tensor2d([[...ids]], [1, ids.length], 'int32')));
  const data = h.dataSync();
  h.dispose();
  const C = spec.hidden;
  const mean = new Float64Array(C);
  for (let t = 0; t < ids.length; t++) for (let c = 0; c < C; c++) mean[c]! += data[t * C + c]!;
  return mean.map((x) => x / ids.length);
}

const cosine = (a: Float64Array, b: Float64Array) => {
  let [ab, aa, bb] = [0, 0, 0];
  a.forEach((x, i) => ((ab += x * b[i]!), (aa += x * x), (bb += b[i]! * b[i]!)));
  return ab / Math.sqrt(aa * bb);
};

describe('neighbours', () => {
  it('finalHidden is what the head reads: times the tied embedding it gives the logits', () => {
    const ids = tf.tensor2d([[3, 17, 8, 29, 40]], [1, 5], 'int32');
    const [viaHidden, logits] = tf.tidy(() => {
      const h = model.finalHidden(ids).reshape([5, spec.hidden]); // (T, C)
      const wte = model.params.get('transformer.wte.weight')!; // (V, C)
      return [tf.matMul(h, wte, false, true), model.logits(ids).reshape([5, VOCAB])];
    });
    const diff = tf.tidy(() => viaHidden!.sub(logits!).abs().max().dataSync()[0]!);
    expect(diff).toBeLessThan(1e-5);
    tf.dispose([ids, viaHidden!, logits!]);
  });

  it('by embedding, ranks as the direct computation does, padded batches or not', async () => {
    const retainMeans = retain.map((r) => aloneMean(r.ids));
    const expected = forget.map((s) => {
      const mine = aloneMean(s.ids);
      return retainMeans
        .map((r, index) => ({ index, similarity: cosine(mine, r) }))
        .sort((a, b) => b.similarity - a.similarity || a.index - b.index)
        .map((x) => x.index);
    });
    for (const batchSize of [1, 3, 8])
      expect(
        await nearestRetain(model, forget, retain, retain.length, 'embedding', batchSize),
      ).toEqual(expected);
    // and the count keeps the best first
    expect(await nearestRetain(model, forget, retain, 2, 'embedding', 4)).toEqual(
      expected.map((e) => e.slice(0, 2)),
    );
  });

  it('token overlap ranks the same token set first; the embedding, the same token mix', async () => {
    const byTokens = await nearestRetain(model, forget, retain, retain.length, 'tokens', 4);
    // Jaccard with f: r#1 1, r#3 1/2, r#2 1/3, r#0 = r#4 0 (tie: lower index)
    expect(byTokens[0]).toEqual([1, 3, 2, 0, 4]);
    const byEmbedding = await nearestRetain(model, forget, retain, retain.length, 'embedding', 4);
    expect(byEmbedding[0]![0]).toBe(2);
    expect(byEmbedding[0]!.indexOf(2)).toBeLessThan(byEmbedding[0]!.indexOf(1));
    // the second forget sequence shares 4 of its 4 distinct tokens with r#4
    expect(byTokens[1]![0]).toBe(4);
  });

  it('ties go to the lower retain index by either similarity', async () => {
    const twins = [seq('a', [5, 6, 7]), seq('b', [1, 2, 3, 4]), seq('c', [1, 2, 3, 4])];
    const query = [seq('q', [1, 2, 3, 4])];
    // batch size 1: the twins go through identical computations, so their similarities are equal
    for (const by of ['tokens', 'embedding'] as const)
      expect((await nearestRetain(model, query, twins, 3, by, 1))[0]!.slice(0, 2)).toEqual([1, 2]);
  });
});
