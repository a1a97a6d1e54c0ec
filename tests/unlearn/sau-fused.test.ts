/**
 * SAU's native kernels (native/sparsity.c) against the tfjs composition they replace and a
 * float64 reference: the importance-redistributed gradient (Wanda and Fisher scores) and the
 * re-imposed zeros, on the native backend and on wasm with the native kernels. The weight has
 * pruned entries, whole pruned columns (nowhere to send their mass), zero gradients (sign 0)
 * and a width that does not divide the thread split.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import { SparsityMasks } from '../../src/worker/unlearn/sparsity/mask.ts';
import { redistributeAll } from '../../src/worker/unlearn/sparsity/redistribute.ts';
import { mulberry32 } from '../../src/worker/data/prng.ts';
import { nativeKernelsActive } from '../../src/worker/engine/wasm-kernels/native-active.ts';

const IN = 300;
const OUT = 517;
const NAME = 'model.layers.0.mlp.up_proj.weight';

interface Case {
  g: Float32Array;
  w: Float32Array; // pruned: zero where the mask is 0
  m: Float32Array;
  norms: Float32Array;
}

function makeCase(): Case {
  const random = mulberry32(7);
  const n = IN * OUT;
  const g = new Float32Array(n);
  const w = new Float32Array(n);
  const m = new Float32Array(n);
  for (let at = 0; at < n; at++) {
    const column = at % OUT;
    const pruned = column % 50 === 3 || random() < 0.5; // columns 3, 53, …: all pruned
    m[at] = pruned ? 0 : 1;
    w[at] = pruned ? 0 : random() * 2 - 1 || 0.5;
    g[at] = random() < 0.05 ? 0 : (random() * 2 - 1) * 10 ** (random() * 4 - 2);
  }
  const norms = Float32Array.from({ length: IN }, () => random() * 3);
  return { g, w, m, norms };
}

/** The formula in float64 (redistribute.ts's comment). */
function reference(c: Case, kind: 'wanda' | 'fisher', lambda: number): Float64Array {
  const score = (j: number, at: number) =>
    kind === 'fisher' ? c.g[at]! * c.g[at]! : Math.abs(c.w[at]!) * c.norms[j]!;
  const lost = new Float64Array(OUT);
  const kept = new Float64Array(OUT);
  for (let j = 0; j < IN; j++)
    for (let i = 0; i < OUT; i++) {
      const at = j * OUT + i;
      lost[i] = lost[i]! + (1 - c.m[at]!) * Math.abs(c.g[at]!);
      kept[i] = kept[i]! + c.m[at]! * score(j, at);
    }
  const out = new Float64Array(IN * OUT);
  for (let j = 0; j < IN; j++)
    for (let i = 0; i < OUT; i++) {
      const at = j * OUT + i;
      const per = kept[i]! > 0 ? (lambda * lost[i]!) / kept[i]! : 0;
      out[at] = c.m[at]! * (c.g[at]! + Math.sign(c.g[at]!) * score(j, at) * per);
    }
  return out;
}

function redistributed(c: Case, kind: 'wanda' | 'fisher', lambda: number): Float32Array {
  const weight = tf.variable(tf.tensor2d(c.w, [IN, OUT]));
  const grad = tf.tensor2d(c.g, [IN, OUT]);
  const masks = SparsityMasks.fromZeros(new Map([[NAME, weight]]));
  const out = redistributeAll(new Map([[NAME, grad]]), masks, 'importance', {
    lambda,
    kind,
    weights: new Map([[NAME, weight]]),
    inputNorms: new Map([[NAME, c.norms]]),
  });
  const values = out.get(NAME)!.dataSync() as Float32Array;
  tf.dispose([weight, grad, ...out.values()]);
  masks.dispose();
  return values;
}

/** Largest |a − b| relative to the entry's scale (|g| + |bonus|, never below 1e-30). */
function worstError(actual: Float32Array, expected: Float64Array, c: Case): number {
  let worst = 0;
  for (let at = 0; at < expected.length; at++) {
    const scale = Math.max(Math.abs(c.g[at]!) + Math.abs(expected[at]! - c.g[at]!), 1e-30);
    worst = Math.max(worst, Math.abs(actual[at]! - expected[at]!) / scale);
  }
  return worst;
}

const c = makeCase();
const cases = [
  ['wanda', 1],
  ['fisher', 1],
  ['wanda', 0.3],
] as const;

describe.each(['native', 'wasm'] as const)('SAU kernels on %s', (backend) => {
  afterAll(async () => void (await selectBackend('cpu')));

  it.each(cases)('importance redistribution with %s scores, lambda %s', async (kind, lambda) => {
    await selectBackend('cpu');
    const composed = redistributed(c, kind, lambda);
    await selectBackend(backend);
    expect(
      nativeKernelsActive(),
      'the native kernels run here (node scripts/build-native.mjs)',
    ).toBe(true);
    const fused = redistributed(c, kind, lambda);
    const exact = reference(c, kind, lambda);
    // The fused sums are in double: at least as close to the float64 formula as the composition.
    const fusedError = worstError(fused, exact, c);
    expect(fusedError).toBeLessThan(1e-6);
    expect(fusedError).toBeLessThanOrEqual(worstError(composed, exact, c) + 1e-7);
    // Pruned positions get exactly 0, all-pruned columns exactly 0 too.
    for (let at = 0; at < fused.length; at++)
      if (c.m[at] === 0) expect(Math.abs(fused[at]!)).toBe(0);
  });

  it('re-imposes the zeros exactly (+0, survivors untouched)', async () => {
    await selectBackend(backend);
    const moved = Float32Array.from(c.w, (v, at) => (c.m[at] === 0 ? -1e-3 * (at % 7) : v + 1));
    const pruned = tf.variable(tf.tensor2d(c.w, [IN, OUT]));
    const mask = SparsityMasks.fromZeros(new Map([[NAME, pruned]]));
    pruned.dispose();
    const weight = tf.variable(tf.tensor2d(moved, [IN, OUT]));
    mask.reimpose(new Map([[NAME, weight]]));
    const after = weight.dataSync() as Float32Array;
    for (let at = 0; at < after.length; at++) {
      if (c.m[at] === 0)
        expect(Object.is(after[at], 0)).toBe(true); // +0, not −0
      else expect(after[at]).toBe(moved[at]);
    }
    expect(mask.samePattern(new Map([[NAME, weight]]))).toBe(true);
    weight.dispose();
    mask.dispose();
  });
});
