/**
 * Which weights to zero, given a score per weight (lowest scores go). Pure JS on Float32Array so
 * the count is exact: ties are broken by position (lower index first), so exactly the requested
 * number of entries is chosen whatever the values.
 *
 * Matrices are in the models' internal layout [in, out] (types.ts `transposed`): entry (j, i) at
 * `j * out + i`, so output i's weights are column i and input j is row j.
 */
import { UserInputError } from '../../shared/errors.ts';
import { countFor, type SparsityTarget } from './target.ts';

/** A weight matrix's scores, internal layout [in, out]. */
export interface ScoredMatrix {
  readonly name: string;
  readonly inDim: number;
  readonly outDim: number;
  readonly scores: Float32Array;
}

/** The positions (ascending index among equals) of the `k` lowest of `values`. */
export function lowestPositions(values: Float32Array, k: number): Uint32Array {
  const out = new Uint32Array(k);
  if (k === 0) return out;
  // The k-th smallest value is the threshold: everything below it goes, then equal ones by index.
  const threshold = Float32Array.from(values).sort()[k - 1]!;
  let taken = 0;
  for (let p = 0; p < values.length && taken < k; p++) if (values[p]! < threshold) out[taken++] = p;
  for (let p = 0; p < values.length && taken < k; p++)
    if (values[p] === threshold) out[taken++] = p;
  return out;
}

/** Unstructured over the whole matrix (magnitude pruning): 1 marks a weight to zero. */
export function maskWholeMatrix(m: ScoredMatrix, fraction: number): Uint8Array {
  const mask = new Uint8Array(m.scores.length);
  for (const p of lowestPositions(m.scores, countFor(fraction, m.scores.length))) mask[p] = 1;
  return mask;
}

/** Unstructured per output (Wanda, §3 "comparison group"): the same count in every column. */
export function maskPerOutput(m: ScoredMatrix, fraction: number): Uint8Array {
  const { inDim, outDim, scores } = m;
  const mask = new Uint8Array(scores.length);
  const k = countFor(fraction, inDim);
  const column = new Float32Array(inDim);
  for (let i = 0; i < outDim; i++) {
    for (let j = 0; j < inDim; j++) column[j] = scores[j * outDim + i]!;
    for (const j of lowestPositions(column, k)) mask[j * outDim + i] = 1;
  }
  return mask;
}

/** N:M: in every group of M consecutive inputs of each output, the N lowest go. */
export function maskNM(m: ScoredMatrix, n: number, groupSize: number): Uint8Array {
  const { inDim, outDim, scores } = m;
  if (inDim % groupSize !== 0)
    throw new UserInputError(
      m.name,
      `has ${inDim} inputs, not a multiple of ${groupSize}; choose a pattern N:M whose M divides it`,
    );
  const mask = new Uint8Array(scores.length);
  const group = new Float32Array(groupSize);
  for (let i = 0; i < outDim; i++) {
    for (let start = 0; start < inDim; start += groupSize) {
      for (let g = 0; g < groupSize; g++) group[g] = scores[(start + g) * outDim + i]!;
      for (const g of lowestPositions(group, n)) mask[(start + g) * outDim + i] = 1;
    }
  }
  return mask;
}

/** The mask for `target`; unstructured targets compare within `scope`. */
export function selectToPrune(
  m: ScoredMatrix,
  target: SparsityTarget,
  scope: 'matrix' | 'output',
): Uint8Array {
  if (target.kind === 'nm') return maskNM(m, target.n, target.m);
  return scope === 'matrix'
    ? maskWholeMatrix(m, target.fraction)
    : maskPerOutput(m, target.fraction);
}
