/**
 * The weights pruning acts on — the block linears (`isBlockLinearWeight`), never embeddings,
 * norms, biases or the head — and writing a mask into them.
 */
import * as tf from '@tensorflow/tfjs';
import type { CausalLM } from '../model/architectures/types.ts';
import { isBlockLinearWeight } from '../model/weight-names.ts';

export interface BlockLinear {
  /** HF parameter name (`transformer.h.0.mlp.c_fc.weight`). */
  readonly name: string;
  /** Index of the transformer block it belongs to. */
  readonly layer: number;
  readonly variable: tf.Variable;
  /** Internal layout [in, out] (types.ts `transposed`). */
  readonly inDim: number;
  readonly outDim: number;
}

/** Pruned fraction of one matrix, as the report lists it. */
export interface MatrixSparsity {
  readonly name: string;
  readonly sparsity: number;
}

const LAYER = /(?:^|\.)(?:h|layers)\.(\d+)\./;

/** Every block linear of `model`, by layer, then in the model's parameter order. */
export function blockLinears(model: CausalLM): BlockLinear[] {
  const found: BlockLinear[] = [];
  for (const [name, variable] of model.params) {
    if (!isBlockLinearWeight(name)) continue;
    const [inDim, outDim] = variable.shape as [number, number];
    found.push({ name, layer: Number(LAYER.exec(name)![1]), variable, inDim, outDim });
  }
  return found.sort((a, b) => a.layer - b.layer); // stable: parameter order within a layer
}

export async function readMatrix(linear: BlockLinear): Promise<Float32Array> {
  return (await linear.variable.data()) as Float32Array;
}

/** Zeroes the entries where `mask` is 1 and returns the matrix's fraction of exact zeros. */
export function applyMask(
  linear: BlockLinear,
  weights: Float32Array,
  mask: Uint8Array,
): MatrixSparsity {
  const pruned = Float32Array.from(weights);
  let zeros = 0;
  for (let p = 0; p < pruned.length; p++) {
    if (mask[p] === 1) pruned[p] = 0;
    if (pruned[p] === 0) zeros++;
  }
  const value = tf.tensor(pruned, linear.variable.shape);
  linear.variable.assign(value);
  value.dispose();
  return { name: linear.name, sparsity: zeros / pruned.length };
}
