/**
 * The Llama family (HF `modeling_llama`, `modeling_mistral`, `modeling_qwen2`): RMSNorm,
 * rotary positions, grouped-query attention, SwiGLU MLP. The members differ only in what the
 * spec already says: biases (Qwen2: q/k/v, never o_proj; Llama `attention_bias`: q/k/v/o),
 * tied embeddings and RoPE scaling. Mistral's sliding window is not applied: it only changes
 * attention for sequences longer than the window (4096 and up), beyond what Nepenthe feeds.
 *
 * Every `nn.Linear` weight (HF [out, in]) is kept transposed, [in, out].
 */
import type * as tf from '@tensorflow/tfjs';
import type { ModelSpec } from '../config.ts';
import { causalAttention } from './attention.ts';
import { TransformerLM, type ForwardContext } from './base.ts';
import { rmsNorm, swiGlu } from './ops.ts';
import { applyRope, ropeInverseFrequencies, ropeTables, type RopeTables } from './rope.ts';
import type { Architecture, ParamSpec } from './types.ts';

function parameters(spec: ModelSpec): ParamSpec[] {
  const { hidden: C, intermediate: I, vocabSize: V, heads: nh, kvHeads: kvh, headDim: hs } = spec;
  const out: ParamSpec[] = [
    { name: 'model.embed_tokens.weight', shape: [V, C], transposed: false, init: 'normal' },
  ];
  const nnLinear = (name: string, nIn: number, nOut: number, bias: boolean): ParamSpec[] => [
    { name: `${name}.weight`, shape: [nOut, nIn], transposed: true, init: 'normal' },
    ...(bias
      ? [{ name: `${name}.bias`, shape: [nOut], transposed: false, init: 'zeros' } as const]
      : []),
  ];
  const norm = (name: string): ParamSpec => ({
    name: `${name}.weight`,
    shape: [C],
    transposed: false,
    init: 'ones',
  });
  for (let i = 0; i < spec.layers; i++) {
    const l = `model.layers.${i}`;
    out.push(
      ...nnLinear(`${l}.self_attn.q_proj`, C, nh * hs, spec.qkvBias),
      ...nnLinear(`${l}.self_attn.k_proj`, C, kvh * hs, spec.qkvBias),
      ...nnLinear(`${l}.self_attn.v_proj`, C, kvh * hs, spec.qkvBias),
      ...nnLinear(`${l}.self_attn.o_proj`, nh * hs, C, spec.oBias),
      ...nnLinear(`${l}.mlp.gate_proj`, C, I, spec.mlpBias),
      ...nnLinear(`${l}.mlp.up_proj`, C, I, spec.mlpBias),
      ...nnLinear(`${l}.mlp.down_proj`, I, C, spec.mlpBias),
      norm(`${l}.input_layernorm`),
      norm(`${l}.post_attention_layernorm`),
    );
  }
  out.push(norm('model.norm'));
  if (!spec.tieWordEmbeddings) out.push(...nnLinear('lm_head', C, V, false));
  return out;
}

/** The Llama-family forward pass; its positions are cos/sin tables shared by every layer. */
class Llama extends TransformerLM<RopeTables> {
  protected readonly embeddingName = 'model.embed_tokens.weight';
  private readonly invFreq = ropeInverseFrequencies(this.spec);

  protected positions(past: number, T: number, padding?: readonly number[] | null): RopeTables {
    return ropeTables(this.invFreq, past, T, padding ?? null); // 2 × (1 or B, T, 1, hs)
  }

  protected embed(ids: tf.Tensor2D, ctx: ForwardContext<RopeTables>): tf.Tensor2D {
    const { batch: B, time: T } = ctx;
    return this.param<tf.Tensor2D>(this.embeddingName).gather(ids.reshape([B * T])); // (B*T, C)
  }

  protected block(x: tf.Tensor2D, layer: number, ctx: ForwardContext<RopeTables>): tf.Tensor2D {
    const { batch: B, time: T, positions: rope } = ctx;
    const { heads: nh, kvHeads: kvh, headDim: hs, normEps: eps } = this.spec;
    const at = (name: string) => `model.layers.${layer}.${name}`;
    const proj = (name: string, x2d: tf.Tensor2D) => this.project(x2d, at(name));

    const h = rmsNorm(x, this.param(`${at('input_layernorm')}.weight`), eps); // (B*T, C)
    const q = proj('self_attn.q_proj', h).reshape([B, T, nh, hs]) as tf.Tensor4D; // (B, T, nh, hs)
    const k = proj('self_attn.k_proj', h).reshape([B, T, kvh, hs]) as tf.Tensor4D; // (B, T, kvh, hs)
    const v = proj('self_attn.v_proj', h).reshape([B, T, kvh, hs]) as tf.Tensor4D; // (B, T, kvh, hs)
    const y = causalAttention(
      applyRope(q, rope), // (B, T, nh, hs)
      applyRope(k, rope), // (B, T, kvh, hs)
      v, // (B, T, kvh, hs)
      { batch: B, time: T, heads: nh, kvHeads: kvh, headDim: hs },
      ctx.mask,
      ctx.cache && { cache: ctx.cache, layer },
    ); // (B*T, nh*hs)
    x = x.add(proj('self_attn.o_proj', y)); // (B*T, C)

    const h2 = rmsNorm(x, this.param(`${at('post_attention_layernorm')}.weight`), eps); // (B*T, C)
    const gated = swiGlu(proj('mlp.gate_proj', h2), proj('mlp.up_proj', h2)); // (B*T, I)
    return x.add(proj('mlp.down_proj', gated)); // (B*T, C)
  }

  protected finalNorm(x: tf.Tensor2D): tf.Tensor2D {
    return rmsNorm(x, this.param('model.norm.weight'), this.spec.normEps); // (B*T, C)
  }
}

export const llama: Architecture = {
  family: 'llama',
  parameters,
  aliases: () => [],
  // Rotary inverse frequencies, a buffer older transformers saved per layer.
  buffers: [/\.rotary_emb\.inv_freq$/],
  build: (spec, params) => new Llama(spec, params, parameters(spec)),
};
