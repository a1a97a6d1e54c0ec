/**
 * SAU's tensor pieces (ALGORITHMS.md, "SAU — sparsity-aware unlearning"): masks, gradient masking,
 * and the three redistribution modes, against values worked out by hand on one [in=4, out=2]
 * weight. Internal layout is [in, out]: output i is column i.
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import { SparsityMasks } from '../../src/worker/unlearn/sparsity/mask.ts';
import {
  importanceScores,
  redistribute,
  redistributeAll,
} from '../../src/worker/unlearn/sparsity/redistribute.ts';

beforeAll(async () => {
  await selectBackend('cpu');
});

// Rows are inputs j, columns outputs i.
const G = [
  [1, -2],
  [-3, 4],
  [2, 0.5],
  [-1, -1],
];
const M = [
  [1, 1],
  [0, 1],
  [1, 0],
  [0, 0],
];
const S = [
  [1, 2],
  [5, 1],
  [3, 9],
  [7, 9],
];

function expectClose(actual: tf.Tensor, expected: number[][], digits = 5): void {
  const got = actual.arraySync() as number[][];
  expect(actual.shape).toEqual([expected.length, expected[0]!.length]);
  expected.forEach((row, j) => row.forEach((v, i) => expect(got[j]![i]!).toBeCloseTo(v, digits)));
}

/** Σ_j |X_ji| per output i. */
function massPerOutput(x: tf.Tensor): number[] {
  return Array.from(tf.tidy(() => x.abs().sum(0)).dataSync());
}

function run(
  mode: 'importance' | 'rownorm' | 'none',
  g: number[][],
  m: number[][],
  lambda = 1,
  s?: number[][],
): tf.Tensor2D {
  return tf.tidy(() =>
    redistribute(tf.tensor2d(g), tf.tensor2d(m), mode, {
      lambda,
      ...(s ? { scores: tf.tensor2d(s) } : {}),
    }),
  );
}

describe('redistribute', () => {
  it('none: M ⊙ G', () => {
    expectClose(run('none', G, M), [
      [1, -2],
      [0, 4],
      [2, 0],
      [0, 0],
    ]);
  });

  it('importance, λ = 1: pruned mass goes to survivors by score, with the gradient sign', () => {
    // Output 0: m = |−3| + |−1| = 4, Σ M s = 1 + 3 = 4 → 1 + 4·1/4 = 2, 2 + 4·3/4 = 5.
    // Output 1: m = 0.5 + 1 = 1.5, Σ M s = 2 + 1 = 3 → −2 − 1.5·2/3 = −3, 4 + 1.5·1/3 = 4.5.
    const out = run('importance', G, M, 1, S);
    expectClose(out, [
      [2, -3],
      [0, 4.5],
      [5, 0],
      [0, 0],
    ]);
    // Every survivor has G ≠ 0, so all of the mass lands: Σ|G'_i| = Σ|G_i| (7 and 7.5).
    const mass = massPerOutput(out);
    expect(mass[0]).toBeCloseTo(7, 5);
    expect(mass[1]).toBeCloseTo(7.5, 5);
  });

  it('importance, λ = 0.5: half of the pruned mass', () => {
    const out = run('importance', G, M, 0.5, S);
    expectClose(out, [
      [1.5, -2.5],
      [0, 4.25],
      [3.5, 0],
      [0, 0],
    ]);
    // Σ|G'_i| = Σ M|G| + λ·m_i: 3 + 2 = 5 and 6 + 0.75 = 6.75.
    const mass = massPerOutput(out);
    expect(mass[0]).toBeCloseTo(5, 5);
    expect(mass[1]).toBeCloseTo(6.75, 5);
  });

  it('importance: a surviving entry with zero gradient takes no share (its mass is lost)', () => {
    // Output 0 survivors: inputs 0 (G = 0, s = 1) and 2 (G = 2, s = 3); m = 3 + 1 = 4.
    const g = [
      [0, 1],
      [-3, 1],
      [2, 1],
      [-1, 1],
    ];
    const out = run('importance', g, M, 1, S);
    // Input 2 gets 4·3/4 = 3 → 5; input 0 keeps 0. Σ|G'_0| = 5 < Σ|G_0| = 6.
    expectClose(out.slice([0, 0], [4, 1]), [[0], [0], [5], [0]]);
    expect(massPerOutput(out)[0]).toBeCloseTo(5, 5);
  });

  it('importance: with Fisher scores the mass per output is conserved at λ = 1', () => {
    const g = [
      [0, 1],
      [-3, 1],
      [2, -1],
      [-1, 1],
    ];
    const out = tf.tidy(() => {
      const grad = tf.tensor2d(g);
      const scores = importanceScores('fisher', tf.zerosLike(grad), grad);
      return redistribute(grad, tf.tensor2d(M), 'importance', { lambda: 1, scores });
    });
    const mass = massPerOutput(out);
    expect(mass[0]).toBeCloseTo(6, 5);
    expect(mass[1]).toBeCloseTo(4, 5);
  });

  it('importance: an all-pruned output, or all-zero survivor scores, gets M ⊙ G only (no NaN)', () => {
    const m = [
      [1, 0],
      [0, 0],
      [1, 0],
      [0, 0],
    ];
    const s = [
      [0, 2],
      [5, 1],
      [0, 9],
      [7, 9],
    ];
    // Output 0 has survivors but their scores are 0; output 1 has no survivor at all.
    const out = run('importance', G, m, 1, s);
    expectClose(out, [
      [1, 0],
      [0, 0],
      [2, 0],
      [0, 0],
    ]);
    expect(Array.from(out.dataSync()).every(Number.isFinite)).toBe(true);
  });

  it('importance without scores fails loudly', () => {
    expect(() => run('importance', G, M)).toThrow(/scores/);
  });

  it('rownorm: survivors rescaled to the norm of the full output row', () => {
    // Output 0: ‖G‖ = √15, ‖M⊙G‖ = √5 → × √3. Output 1: √21.25 / √20 = √1.0625.
    const a = Math.sqrt(3);
    const b = Math.sqrt(1.0625);
    const out = run('rownorm', G, M);
    expectClose(out, [
      [a, -2 * b],
      [0, 4 * b],
      [2 * a, 0],
      [0, 0],
    ]);
    const norms = Array.from(tf.tidy(() => out.square().sum(0).sqrt()).dataSync());
    expect(norms[0]).toBeCloseTo(Math.sqrt(15), 5);
    expect(norms[1]).toBeCloseTo(Math.sqrt(21.25), 5);
  });

  it('rownorm: an output with no surviving gradient gets 0, and tiny gradients do not underflow', () => {
    const tiny = 1e-30;
    const g = [
      [tiny, 1],
      [2 * tiny, 2],
      [0, 3],
      [0, 4],
    ];
    const m = [
      [1, 0],
      [0, 0],
      [1, 0],
      [0, 0],
    ];
    const out = run('rownorm', g, m);
    const got = out.arraySync();
    // Output 0: ‖G‖ = √5·tiny, ‖M⊙G‖ = tiny → first entry √5·tiny.
    expect(got[0]![0]! / tiny).toBeCloseTo(Math.sqrt(5), 4);
    expect(got.map((row) => row[1])).toEqual([0, 0, 0, 0]);
  });
});

describe('importanceScores', () => {
  const W = [
    [1, -2],
    [0.5, 3],
    [-4, 0],
    [2, 1],
  ];
  it('wanda: |W_ij|·‖X_j‖ broadcast over outputs', () => {
    const norms = new Float32Array([1, 2, 0.5, 3]);
    const s = tf.tidy(() => importanceScores('wanda', tf.tensor2d(W), tf.tensor2d(G), norms));
    expectClose(s, [
      [1, 2],
      [1, 6],
      [2, 0],
      [6, 3],
    ]);
  });

  it('fisher: G²', () => {
    const s = tf.tidy(() => importanceScores('fisher', tf.tensor2d(W), tf.tensor2d(G)));
    expectClose(s, [
      [1, 4],
      [9, 16],
      [4, 0.25],
      [1, 1],
    ]);
  });

  it('wanda without input norms, or with the wrong count, fails loudly', () => {
    tf.tidy(() => {
      const w = tf.tensor2d(W);
      expect(() => importanceScores('wanda', w, w)).toThrow(/input activation norms/);
      expect(() => importanceScores('wanda', w, w, new Float32Array(3))).toThrow(/3 entries/);
    });
  });
});

const LINEAR = 'transformer.h.0.attn.c_attn.weight';
const LINEAR2 = 'transformer.h.1.mlp.c_proj.weight';
const NORM = 'transformer.h.0.ln_1.weight';

function toyParams(): Map<string, tf.Variable> {
  return new Map<string, tf.Variable>([
    [
      LINEAR,
      tf.variable(
        tf.tensor2d([
          [1, 0],
          [0, -2],
          [3, 0],
          [0, 0],
        ]),
      ),
    ],
    [
      LINEAR2,
      tf.variable(
        tf.tensor2d([
          [0, 5, -1],
          [2, 0, 0],
        ]),
      ),
    ],
    [NORM, tf.variable(tf.tensor1d([0, 1]))],
  ]);
}

function disposeAll(tensors: Iterable<tf.Tensor>): void {
  for (const t of tensors) t.dispose();
}

describe('SparsityMasks', () => {
  it('masks exactly the block linear weights, from their zeros', () => {
    const params = toyParams();
    const masks = SparsityMasks.fromZeros(params);
    expect([...masks.names].sort()).toEqual([LINEAR, LINEAR2]);
    expect(masks.get(NORM)).toBeUndefined();
    expect(masks.get(LINEAR)!.arraySync()).toEqual([
      [1, 0],
      [0, 1],
      [1, 0],
      [0, 0],
    ]);
    // 5 zeros of 8 and 3 of 6.
    expect(masks.sparsity()).toBeCloseTo(8 / 14, 10);
    masks.dispose();
    disposeAll(params.values());
  });

  it('maskGradients zeroes pruned entries and passes other gradients through', () => {
    const params = toyParams();
    const masks = SparsityMasks.fromZeros(params);
    const grads = new Map<string, tf.Tensor>([
      [LINEAR, tf.tensor2d(G)],
      [NORM, tf.tensor1d([7, 8])],
    ]);
    const masked = masks.maskGradients(grads);
    // (x + 0 turns a −0 from −G·0 into +0: the sign of a zero is not part of the contract.)
    const lin = (masked.get(LINEAR)!.arraySync() as number[][]).map((row) => row.map((x) => x + 0));
    expect(lin).toEqual([
      [1, 0],
      [0, 4],
      [2, 0],
      [0, 0],
    ]);
    expect(masked.get(NORM)!.arraySync()).toEqual([7, 8]);
    expect(masked.get(NORM)).not.toBe(grads.get(NORM));
    disposeAll(masked.values());
    disposeAll(grads.values());
    masks.dispose();
    disposeAll(params.values());
  });

  it('reimpose keeps the zero pattern bit-for-bit after an arbitrary assign', () => {
    const params = toyParams();
    const before = SparsityMasks.zeroPattern(params);
    const masks = SparsityMasks.fromZeros(params);
    // A dense update that moves every entry (and one that makes -0 or NaN out of x·0 possible).
    for (const v of params.values()) {
      tf.tidy(() => v.assign(v.add(tf.randomNormal(v.shape, 0, 1, 'float32', 7)).mul(-3)));
    }
    params.get(LINEAR2)!.assign(tf.fill([2, 3], -Infinity));
    expect(masks.samePattern(params)).toBe(false);
    masks.reimpose(params);
    expect(masks.samePattern(params)).toBe(true);
    const after = SparsityMasks.zeroPattern(params);
    for (const name of masks.names) expect(after.get(name)).toEqual(before.get(name));
    // Pruned entries are +0 exactly (same bits as the original zeros).
    const bits = new Uint32Array(params.get(LINEAR)!.dataSync().buffer.slice(0));
    const mask = masks.get(LINEAR)!.dataSync();
    bits.forEach((b, k) => {
      if (mask[k] === 0) expect(b).toBe(0);
    });
    expect(masks.sparsity()).toBeCloseTo(8 / 14, 10);
    // The norm is not masked: it keeps its dense update.
    expect(SparsityMasks.zeroPattern(new Map([[NORM, params.get(NORM)!]])).size).toBe(0);
    masks.dispose();
    disposeAll(params.values());
  });

  it('redistributeAll + dispose leaves the tensor count unchanged', () => {
    const params = toyParams();
    const masks = SparsityMasks.fromZeros(params);
    const grads = new Map<string, tf.Tensor>([
      [LINEAR, tf.tensor2d(G)],
      [
        LINEAR2,
        tf.tensor2d([
          [1, -1, 2],
          [3, 0, -4],
        ]),
      ],
      [NORM, tf.tensor1d([7, 8])],
    ]);
    const inputNorms = new Map([
      [LINEAR, new Float32Array([1, 2, 3, 4])],
      [LINEAR2, new Float32Array([1, 1])],
    ]);
    for (const [mode, kind] of [
      ['importance', 'wanda'],
      ['importance', 'fisher'],
      ['rownorm', 'fisher'],
      ['none', 'fisher'],
    ] as const) {
      const before = tf.memory().numTensors;
      const out = redistributeAll(grads, masks, mode, {
        lambda: 1,
        kind,
        weights: params,
        inputNorms,
      });
      expect(out.size).toBe(3);
      expect(tf.memory().numTensors).toBe(before + 3);
      // Pruned positions get nothing, whatever the mode.
      const g = out.get(LINEAR)!.arraySync() as number[][];
      expect([g[0]![1], g[1]![0], g[2]![1], g[3]![0], g[3]![1]].every((x) => x === 0)).toBe(true);
      disposeAll(out.values());
      expect(tf.memory().numTensors).toBe(before);
    }
    expect(() =>
      redistributeAll(grads, masks, 'importance', { lambda: 1, kind: 'wanda', weights: params }),
    ).toThrow(/input norms/);
    disposeAll(grads.values());
    masks.dispose();
    disposeAll(params.values());
  });
});
