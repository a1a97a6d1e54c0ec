/**
 * Golden numerics on the `webgpu` backend (Dawn; SwiftShader where there is no GPU, so the real
 * WGSL kernels run). GPT-2 only, to keep the suite short on a 2-core machine: the WGSL kernels
 * it exercises (matMul, softmax, gather, layer norm ops) are the ones the Llama family uses,
 * except RoPE's slice/concat and RMSNorm, which are plain elementwise and reduction kernels.
 */
import { goldenSuite } from './suite.ts';

goldenSuite('webgpu', ['gpt2-tiny']);
