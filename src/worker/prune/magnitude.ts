/**
 * Magnitude pruning: in each block linear, the weights with the smallest |W| go — the
 * `fraction` lowest of the whole matrix, or N:M within each output's groups of M inputs.
 */
import { applyMask, blockLinears, readMatrix, type MatrixSparsity } from './matrices.ts';
import type { Pruner } from './pruner.ts';
import { selectToPrune } from './select.ts';

export const magnitude: Pruner = {
  name: 'magnitude',
  needsCalibration: false,
  async prune(model, { target, onProgress }) {
    const linears = blockLinears(model);
    const results: MatrixSparsity[] = [];
    for (const [index, linear] of linears.entries()) {
      const weights = await readMatrix(linear);
      const scores = weights.map(Math.abs);
      const mask = selectToPrune({ ...linear, scores }, target, 'matrix');
      results.push(applyMask(linear, weights, mask));
      onProgress?.('magnitude', index + 1, linears.length);
    }
    return results;
  },
};
