/**
 * Which weights each rule zeroes, on small matrices worked out by hand. Matrices are in the
 * internal layout [in, out]: entry (j, i) at j*out + i, output i is column i.
 */
import { describe, expect, it } from 'vitest';
import {
  lowestPositions,
  maskNM,
  maskPerOutput,
  maskWholeMatrix,
} from '../../src/worker/prune/select.ts';
import { parseTarget } from '../../src/worker/prune/target.ts';
import { wandaMask, wandaScores } from '../../src/worker/prune/wanda.ts';

const zeroed = (mask: Uint8Array) => [...mask.keys()].filter((p) => mask[p] === 1);
const abs = (w: number[]) => Float32Array.from(w, Math.abs);

describe('magnitude selection', () => {
  it('zeroes exactly the smallest |W| of the whole matrix, ties by index', () => {
    // in=3, out=4.  |W| sorted: 0.1(p5) 0.2(p0) 0.3(p9) 0.3(p10) 0.5(p2) 0.5(p7) ...
    const W = [-0.2, 0.9, 0.5, 1.0, 0.7, 0.1, -0.8, -0.5, 0.6, 0.3, -0.3, 2.0];
    const m = { name: 'w', inDim: 3, outDim: 4, scores: abs(W) };
    expect(zeroed(maskWholeMatrix(m, 0.5))).toEqual([0, 2, 5, 7, 9, 10]);
    // 5 of 12: the tie at 0.5 between p2 and p7 goes to the lower index.
    expect(zeroed(maskWholeMatrix(m, 5 / 12))).toEqual([0, 2, 5, 9, 10]);
    expect(zeroed(maskWholeMatrix(m, 0.25))).toEqual([0, 5, 9]);
  });

  it('takes exactly k when every value is equal', () => {
    expect([...lowestPositions(new Float32Array(10).fill(1), 4)]).toEqual([0, 1, 2, 3]);
    const mask = maskWholeMatrix(
      { name: 'w', inDim: 10, outDim: 10, scores: new Float32Array(100) },
      0.37,
    );
    expect(zeroed(mask)).toHaveLength(37);
  });

  it('2:4 zeroes the two smallest of every 4 consecutive inputs of each output', () => {
    // in=8, out=2; column 0 is [4,3,2,1, 1,5,1,6] → groups zero inputs {2,3} and {4,6} (tie by index)
    // column 1 is [-1,0.5,-2,3, 8,-7,6,5] → |.| groups zero {0,1} and {6,7}
    const col0 = [4, 3, 2, 1, 1, 5, 1, 6];
    const col1 = [-1, 0.5, -2, 3, 8, -7, 6, 5];
    const W = col0.flatMap((v, j) => [v, col1[j]!]);
    const mask = maskNM({ name: 'w', inDim: 8, outDim: 2, scores: abs(W) }, 2, 4);
    const zeroInputs = (i: number) => [0, 1, 2, 3, 4, 5, 6, 7].filter((j) => mask[j * 2 + i] === 1);
    expect(zeroInputs(0)).toEqual([2, 3, 4, 6]);
    expect(zeroInputs(1)).toEqual([0, 1, 6, 7]);
  });

  it('2:4 is exact in every group of a random matrix', () => {
    const inDim = 64;
    const outDim = 24;
    const scores = Float32Array.from({ length: inDim * outDim }, (_, p) => ((p * 7919) % 101) / 7);
    const mask = maskNM({ name: 'w', inDim, outDim, scores }, 2, 4);
    for (let i = 0; i < outDim; i++)
      for (let g = 0; g < inDim; g += 4) {
        let zeros = 0;
        for (let j = g; j < g + 4; j++) zeros += mask[j * outDim + i]!;
        expect(zeros).toBe(2);
      }
  });

  it('refuses N:M when M does not divide the inputs, naming the matrix', () => {
    expect(() =>
      maskNM({ name: 'h.0.w', inDim: 6, outDim: 1, scores: new Float32Array(6) }, 2, 4),
    ).toThrow(/h\.0\.w.*not a multiple of 4/);
  });
});

describe('wanda selection', () => {
  // in=4, out=2; ‖X_j‖ = [4, 0.5, 1, 2]
  const W = Float32Array.from(
    [
      [0.1, 10], // j=0
      [-1.0, 2], // j=1
      [0.5, -3], // j=2
      [0.2, 4], // j=3
    ].flat(),
  );
  const norms = Float32Array.from([4, 0.5, 1, 2]);

  it('scores |W_ij|·‖X_j‖', () => {
    expect([...wandaScores(W, norms, 4, 2)]).toEqual(
      [0.4, 40, 0.5, 1, 0.5, 3, 0.4, 8].map(Math.fround),
    );
  });

  it('prunes the lowest half of each output row, not of the whole matrix', () => {
    const half = { kind: 'unstructured', fraction: 0.5 } as const;
    // output 0 scores [0.4, 0.5, 0.5, 0.4] → inputs 0, 3 (p0, p6);
    // output 1 scores [40, 1, 3, 8] → inputs 1, 2 (p3, p5)
    expect(zeroed(wandaMask('w', W, norms, 4, 2, half))).toEqual([0, 3, 5, 6]);
    // over the whole matrix the four lowest would all but empty output 0
    const scores = wandaScores(W, norms, 4, 2);
    expect(zeroed(maskWholeMatrix({ name: 'w', inDim: 4, outDim: 2, scores }, 0.5))).toEqual([
      0, 2, 4, 6,
    ]);
  });

  it('N:M applies to the scores', () => {
    // 1:2 per output: output 0 groups [0.4, 0.5] [0.5, 0.4] → inputs 0, 3; output 1 [40, 1] [3, 8] → 1, 2
    expect(zeroed(wandaMask('w', W, norms, 4, 2, { kind: 'nm', n: 1, m: 2 }))).toEqual([
      0, 3, 5, 6,
    ]);
  });

  it('activation norms change the choice: a large ‖X_j‖ protects a small weight', () => {
    const w = Float32Array.from([0.1, 0.2, 0.3, 0.4]); // in=4, out=1
    const byMagnitude = wandaMask('w', w, Float32Array.from([1, 1, 1, 1]), 4, 1, {
      kind: 'unstructured',
      fraction: 0.5,
    });
    expect(zeroed(byMagnitude)).toEqual([0, 1]);
    const byWanda = wandaMask('w', w, Float32Array.from([10, 1, 1, 1]), 4, 1, {
      kind: 'unstructured',
      fraction: 0.5,
    });
    expect(zeroed(byWanda)).toEqual([1, 2]); // scores [1, 0.2, 0.3, 0.4]
  });

  it('per output: every output column loses the same count', () => {
    const inDim = 10;
    const outDim = 3;
    const scores = Float32Array.from({ length: 30 }, (_, p) => (p % 3 === 0 ? p : 100 - p));
    const mask = maskPerOutput({ name: 'w', inDim, outDim, scores }, 0.3);
    for (let i = 0; i < outDim; i++) {
      let zeros = 0;
      for (let j = 0; j < inDim; j++) zeros += mask[j * outDim + i]!;
      expect(zeros).toBe(3);
    }
  });
});

describe('sparsity target', () => {
  it('accepts a fraction or N:M, exactly one', () => {
    expect(parseTarget('0.5', undefined)).toEqual({ kind: 'unstructured', fraction: 0.5 });
    expect(parseTarget(undefined, '2:4')).toEqual({ kind: 'nm', n: 2, m: 4 });
    for (const [s, p] of [
      ['0.5', '2:4'],
      [undefined, undefined],
      ['1.5', undefined],
      ['0', undefined],
      ['1', undefined],
      ['abc', undefined],
      [undefined, '4:4'],
      [undefined, '0:4'],
      [undefined, '2-4'],
    ] as const)
      expect(() => parseTarget(s, p), `${s} ${p}`).toThrow(/--sparsity|--pattern/);
  });
});
