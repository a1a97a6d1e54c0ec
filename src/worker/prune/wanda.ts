/**
 * Wanda (Sun et al. 2023, "A Simple and Effective Pruning Approach for LLMs"): score
 * S_ij = |W_ij|·‖X_j‖₂ (§3 eq. 1) and drop the lowest scores of each output (§3, comparison
 * group per output), or N:M on the scores. Layers go in order: the activations that score block
 * l are computed with blocks < l already pruned, as the reference implementation does
 * (`prune_wanda`, layer by layer on the pruned model's outputs).
 */
import type { CausalLM } from '../model/architectures/types.ts';
import type { TokenSequence } from '../unlearn/batch.ts';
import { inputNorms } from './activations.ts';
import { applyMask, blockLinears, readMatrix, type MatrixSparsity } from './matrices.ts';
import type { Pruner } from './pruner.ts';
import { selectToPrune } from './select.ts';
import type { SparsityTarget } from './target.ts';

/** S_ij = |W_ij|·‖X_j‖₂ in the internal layout [in, out]: input j is row j. */
export function wandaScores(
  weights: Float32Array,
  norms: Float32Array,
  inDim: number,
  outDim: number,
): Float32Array {
  const scores = new Float32Array(weights.length);
  for (let j = 0; j < inDim; j++)
    for (let i = 0; i < outDim; i++)
      scores[j * outDim + i] = Math.abs(weights[j * outDim + i]!) * norms[j]!;
  return scores;
}

/** The Wanda mask of one matrix: 1 marks a weight to zero. */
export function wandaMask(
  name: string,
  weights: Float32Array,
  norms: Float32Array,
  inDim: number,
  outDim: number,
  target: SparsityTarget,
): Uint8Array {
  const scores = wandaScores(weights, norms, inDim, outDim);
  return selectToPrune({ name, inDim, outDim, scores }, target, 'output');
}

export const wanda: Pruner = {
  name: 'wanda',
  needsCalibration: true,
  async prune(model, { target, calibration, onProgress }) {
    if (calibration === undefined || calibration.length === 0)
      throw new Error('wanda needs calibration sequences');
    return pruneSequentially(model, calibration, target, onProgress);
  },
};

async function pruneSequentially(
  model: CausalLM,
  calibration: readonly TokenSequence[],
  target: SparsityTarget,
  onProgress?: (label: string, done: number, total: number) => void,
): Promise<MatrixSparsity[]> {
  const linears = blockLinears(model);
  const layers = [...new Set(linears.map((l) => l.layer))];
  const results: MatrixSparsity[] = [];
  for (const [done, layer] of layers.entries()) {
    const inLayer = linears.filter((l) => l.layer === layer);
    const names = new Set(inLayer.map((l) => l.name));
    // Calibration runs through the model as pruned so far (blocks < layer are already sparse).
    const norms = await inputNorms(model, calibration, { select: (name) => names.has(name) });
    for (const linear of inLayer) {
      const norm = norms.get(linear.name);
      if (norm === undefined) throw new Error(`no calibration activations reached ${linear.name}`);
      const weights = await readMatrix(linear);
      const mask = wandaMask(linear.name, weights, norm, linear.inDim, linear.outDim, target);
      results.push(applyMask(linear, weights, mask));
    }
    onProgress?.('wanda', done + 1, layers.length);
  }
  return results;
}
