/** Which checkpoint tensors are the weight matrices of a transformer block's linear layers. */

const BLOCK_LINEAR =
  /(^|\.)(h|layers)\.\d+\.(attn\.(c_attn|c_proj)|mlp\.(c_fc|c_proj)|self_attn\.(q|k|v|o)_proj|mlp\.(gate|up|down)_proj)\.weight$/;

/**
 * A weight matrix of a block's attention or MLP projections (GPT-2 Conv1D or Llama nn.Linear):
 * what pruning acts on and what `sparsity` measures. Embeddings, norms, biases and the head are not.
 */
export function isBlockLinearWeight(name: string): boolean {
  return BLOCK_LINEAR.test(name);
}
