/**
 * `computeTokenStats` on the memorizing Llama fixture (tests/fixtures/score/llama-bpe), on cpu
 * and wasm: the three fixture documents batched together (so two of them are right-padded)
 * give PyTorch's float64 log-probs (expected.json) within 2e-3; the argmax flags and the
 * vocabulary moments (μ_t, σ_t) match a float64 JS computation from each document's full logits
 * alone; batching does not change results; and no tensor is left behind.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import { vocabMoments } from '../../src/worker/metrics/formulas/mia-scores.ts';
import { computeTokenStats, momentsOf } from '../../src/worker/metrics/token-stats.ts';
import { loadModel } from '../../src/worker/model/load.ts';
import type { CausalLM } from '../../src/worker/model/architectures/types.ts';

const fixture = (path: string) =>
  fileURLToPath(new URL(`../fixtures/score/${path}`, import.meta.url));
const LLAMA = fixture('llama-bpe');

/** Absolute tolerance on each log-prob against PyTorch float64 (as tests/cli/score-generate). */
const TOLERANCE = 2e-3;

interface ExpectedDocument {
  readonly id: string;
  readonly tokenIds: number[];
  readonly logprobs: (number | null)[];
}
const expected = JSON.parse(readFileSync(fixture('expected.json'), 'utf8')) as {
  'llama-bpe': { documents: ExpectedDocument[] };
};
const DOCS = expected['llama-bpe'].documents;

/** Float64 log-softmax rows of one sequence's logits, computed alone (batch of one). */
async function referenceRows(model: CausalLM, ids: readonly number[]): Promise<Float64Array[]> {
  const logits = tf.tidy(() =>
    model.logits(tf.tensor2d([ids.slice(0, -1) as number[]], [1, ids.length - 1], 'int32')),
  );
  const data = await logits.data();
  const V = logits.shape[2];
  logits.dispose();
  const rows: Float64Array[] = [];
  for (let t = 0; t < ids.length - 1; t++) {
    const row = Float64Array.from(data.subarray(t * V, (t + 1) * V));
    let max = -Infinity;
    for (const v of row) max = Math.max(max, v);
    let sum = 0;
    for (const v of row) sum += Math.exp(v - max);
    const logZ = max + Math.log(sum);
    for (let v = 0; v < V; v++) row[v] = (row[v] as number) - logZ;
    rows.push(row);
  }
  return rows;
}

function argmax(row: Float64Array): number {
  let best = 0;
  for (let v = 1; v < row.length; v++) if ((row[v] as number) > (row[best] as number)) best = v;
  return best;
}

describe.each(['cpu', 'wasm', 'native'] as const)('computeTokenStats on %s', (backend) => {
  it('matches PyTorch and a direct computation, padded in one batch, without leaks', async () => {
    await selectBackend(backend);
    const { model } = loadModel(LLAMA);
    try {
      const sequences = DOCS.map((d) => d.tokenIds);
      // Lengths 113, 12 and 92: one batch of three pads two of them.
      expect(new Set(sequences.map((s) => s.length)).size).toBe(3);
      // The model caches a causal mask per sequence length on first use: warm up on every
      // length the test uses, then count.
      await computeTokenStats(model, sequences, { batchSize: 1 });
      const before = tf.memory().numTensors;
      const progress: number[] = [];
      const stats = await computeTokenStats(model, sequences, {
        batchSize: 3,
        onProgress: (done) => progress.push(done),
      });
      expect(tf.memory().numTensors).toBe(before);
      expect(progress).toEqual([3]);

      let maxError = 0;
      let maxMuError = 0;
      let maxSigmaError = 0;
      for (const [i, doc] of DOCS.entries()) {
        const s = stats[i]!;
        const n = doc.tokenIds.length - 1;
        expect(s.tokenIds).toEqual(doc.tokenIds);
        for (const array of [s.logProbs, s.argmaxCorrect, s.mu, s.sigma]) {
          expect(array).toHaveLength(n);
        }
        const rows = await referenceRows(model, doc.tokenIds);
        s.logProbs.forEach((lp, t) => {
          const want = doc.logprobs[t + 1]!;
          const error = Math.abs(lp - want);
          maxError = Math.max(maxError, error);
          if (!(error <= TOLERANCE)) {
            expect.fail(`${doc.id} token ${t + 1}: ${lp} vs PyTorch ${want} (${error})`);
          }
          const row = rows[t]!;
          const target = doc.tokenIds[t + 1]!;
          // Same as this document alone (padding and batching change nothing beyond rounding).
          expect(Math.abs(lp - row[target]!)).toBeLessThan(1e-4);
          // Argmax flags: agree with the full distribution, and with the log-prob itself
          // (p > ½ forces argmax; argmax forces p ≥ 1/V).
          const margin = row[target]! - Math.max(...row.filter((_, v) => v !== target));
          if (Math.abs(margin) > 1e-4)
            expect(s.argmaxCorrect[t], `${doc.id} ${t}`).toBe(margin > 0);
          else expect(s.argmaxCorrect[t]).toBe(argmax(row) === target);
          if (lp > Math.log(0.5) + 1e-4) expect(s.argmaxCorrect[t]).toBe(true);
          if (s.argmaxCorrect[t]) expect(lp).toBeGreaterThanOrEqual(-Math.log(row.length) - 1e-4);
          const { mu, sigma } = vocabMoments(row);
          maxMuError = Math.max(maxMuError, Math.abs(s.mu[t]! - mu));
          maxSigmaError = Math.max(maxSigmaError, Math.abs(s.sigma[t]! - sigma));
        });
      }
      // The memorized document is reproduced token for token, the unseen one is not.
      const memorized = stats[DOCS.findIndex((d) => d.id.startsWith('memorized'))]!;
      const unseen = stats[DOCS.findIndex((d) => d.id.startsWith('unseen'))]!;
      const rate = (flags: boolean[]) => flags.filter(Boolean).length / flags.length;
      expect(rate(memorized.argmaxCorrect)).toBeGreaterThan(0.9);
      expect(rate(unseen.argmaxCorrect)).toBeLessThan(rate(memorized.argmaxCorrect));
      expect(momentsOf(memorized)).toHaveLength(memorized.logProbs.length);
      expect(maxMuError).toBeLessThan(1e-4);
      expect(maxSigmaError).toBeLessThan(1e-4);
      console.log(
        `${backend}: max |Δ log-prob| vs PyTorch ${maxError.toExponential(2)}, ` +
          `|Δμ| ${maxMuError.toExponential(2)}, |Δσ| ${maxSigmaError.toExponential(2)}`,
      );

      // Batch size 1 and 2 (different paddings), and short sequences without a forward pass.
      for (const batchSize of [1, 2]) {
        const again = await computeTokenStats(model, [...sequences, [5], []], { batchSize });
        expect(tf.memory().numTensors).toBe(before);
        again.slice(0, 3).forEach((s, i) => {
          s.logProbs.forEach((lp, t) =>
            expect(Math.abs(lp - stats[i]!.logProbs[t]!)).toBeLessThan(1e-4),
          );
          expect(s.argmaxCorrect).toEqual(stats[i]!.argmaxCorrect);
        });
        expect(again[3]).toEqual({
          tokenIds: [5],
          logProbs: [],
          argmaxCorrect: [],
          mu: [],
          sigma: [],
        });
        expect(again[4]!.logProbs).toEqual([]);
      }
    } finally {
      model.dispose();
    }
  });
});

describe('computeTokenStats input checks', () => {
  it('rejects sequences longer than the model, ids outside the vocabulary, bad batch sizes', async () => {
    await selectBackend('cpu');
    const { model } = loadModel(LLAMA);
    try {
      const before = tf.memory().numTensors;
      await expect(computeTokenStats(model, [new Array<number>(257).fill(1)])).rejects.toThrow(
        /257 tokens, more than the model's 256 positions/,
      );
      await expect(computeTokenStats(model, [[1, 512]])).rejects.toThrow(/token id 512/);
      await expect(computeTokenStats(model, [[1, 2]], { batchSize: 0 })).rejects.toThrow(
        /batchSize/,
      );
      expect(await computeTokenStats(model, [])).toEqual([]);
      expect(tf.memory().numTensors).toBe(before);
    } finally {
      model.dispose();
    }
  });
});
