/**
 * GPT-2 (HF `modeling_gpt2`): learned positions, pre-LayerNorm blocks, fused qkv projection,
 * gelu_new MLP, head tied to the token embedding.
 *
 * HF's `Conv1D` stores weights [in, out], already the layout `linear` wants, so nothing is kept
 * transposed except an untied `lm_head.weight` (an `nn.Linear`, [V, C]).
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelSpec } from '../config.ts';
import { causalAttention } from './attention.ts';
import { TransformerLM, type ForwardContext } from './base.ts';
import { geluTanh, layerNorm } from './ops.ts';
import type { Architecture, ParamSpec } from './types.ts';

/** GPT2LMHeadModel saves the body under `transformer.`; GPT2Model checkpoints have no prefix. */
const PREFIX = 'transformer.';

function parameters(spec: ModelSpec): ParamSpec[] {
  const { hidden: C, intermediate: I, vocabSize: V, maxPositions: P } = spec;
  const p = (name: string, shape: number[], init: ParamSpec['init'] = 'normal'): ParamSpec => ({
    name,
    shape,
    transposed: false,
    init,
  });
  const norm = (name: string) => [
    p(`${name}.weight`, [C], 'ones'),
    p(`${name}.bias`, [C], 'zeros'),
  ];
  const conv1d = (name: string, nIn: number, nOut: number) => [
    p(`${name}.weight`, [nIn, nOut]),
    p(`${name}.bias`, [nOut], 'zeros'),
  ];
  const out = [p(`${PREFIX}wte.weight`, [V, C]), p(`${PREFIX}wpe.weight`, [P, C])];
  for (let i = 0; i < spec.layers; i++) {
    const h = `${PREFIX}h.${i}`;
    out.push(
      ...norm(`${h}.ln_1`),
      ...conv1d(`${h}.attn.c_attn`, C, 3 * C),
      ...conv1d(`${h}.attn.c_proj`, C, C),
      ...norm(`${h}.ln_2`),
      ...conv1d(`${h}.mlp.c_fc`, C, I),
      ...conv1d(`${h}.mlp.c_proj`, I, C),
    );
  }
  out.push(...norm(`${PREFIX}ln_f`));
  if (!spec.tieWordEmbeddings)
    out.push({ name: 'lm_head.weight', shape: [V, C], transposed: true, init: 'normal' });
  return out;
}

/** The GPT-2 forward pass; its positions are learned: rows past..past+T−1 of wpe, (T, C). */
class Gpt2 extends TransformerLM<tf.Tensor2D | tf.Tensor3D> {
  protected readonly embeddingName = `${PREFIX}wte.weight`;

  protected positions(
    past: number,
    T: number,
    padding?: readonly number[] | null,
  ): tf.Tensor2D | tf.Tensor3D {
    const wpe = this.param<tf.Tensor2D>(`${PREFIX}wpe.weight`);
    if (!padding) {
      if (past + T > this.spec.maxPositions) {
        throw new RangeError(
          `GPT-2 has ${this.spec.maxPositions} learned positions (n_positions); got ${past + T}`,
        );
      }
      return wpe.slice([past, 0], [T, this.spec.hidden]); // (T, C)
    }
    // Left-padded rows (batched decoding): each row from its first real token. A row that runs
    // past the last position has finished (generate.ts stops each row at its own limit) while
    // others decode on: its positions are clamped and what it computes is never read.
    const last = this.spec.maxPositions - 1;
    const rows = padding.flatMap((pad) =>
      Array.from({ length: T }, (_, t) => Math.min(last, Math.max(0, past + t - pad))),
    );
    const at = tf.tensor1d(rows, 'int32'); // (B*T)
    return wpe.gather(at).reshape([padding.length, T, this.spec.hidden]); // (B, T, C)
  }

  protected embed(ids: tf.Tensor2D, ctx: ForwardContext<tf.Tensor2D | tf.Tensor3D>): tf.Tensor2D {
    const { batch: B, time: T } = ctx;
    const C = this.spec.hidden;
    const wte = this.param<tf.Tensor2D>(this.embeddingName); // (V, C)
    const tokens = wte.gather(ids.reshape([B * T])).reshape([B, T, C]); // (B, T, C)
    return tokens.add(ctx.positions).reshape([B * T, C]); // (B*T, C)
  }

  protected block(
    x: tf.Tensor2D,
    layer: number,
    ctx: ForwardContext<tf.Tensor2D | tf.Tensor3D>,
  ): tf.Tensor2D {
    const { batch: B, time: T } = ctx;
    const { heads: nh, headDim: hs, normEps: eps } = this.spec;
    const w = <W extends tf.Tensor = tf.Tensor2D>(name: string) =>
      this.param<W>(`${PREFIX}h.${layer}.${name}.weight`);
    const b = (name: string) => this.param<tf.Tensor1D>(`${PREFIX}h.${layer}.${name}.bias`);
    const proj = (name: string, x2d: tf.Tensor2D) =>
      this.project(x2d, `${PREFIX}h.${layer}.${name}`);

    const h = layerNorm(x, w<tf.Tensor1D>('ln_1'), b('ln_1'), eps); // (B*T, C)
    const qkv = proj('attn.c_attn', h); // (B*T, 3C)
    const [q, k, v] = qkv.split(3, 1) as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D]; // 3 × (B*T, C)
    const heads = [B, T, nh, hs] as [number, number, number, number];
    const y = causalAttention(
      q.reshape(heads), // (B, T, nh, hs)
      k.reshape(heads), // (B, T, nh, hs)
      v.reshape(heads), // (B, T, nh, hs)
      { batch: B, time: T, heads: nh, kvHeads: nh, headDim: hs },
      ctx.mask,
      ctx.cache && { cache: ctx.cache, layer },
    ); // (B*T, C)
    x = x.add(proj('attn.c_proj', y)); // (B*T, C)

    const h2 = layerNorm(x, w<tf.Tensor1D>('ln_2'), b('ln_2'), eps); // (B*T, C)
    const inner = geluTanh(proj('mlp.c_fc', h2)); // (B*T, I)
    return x.add(proj('mlp.c_proj', inner)); // (B*T, C)
  }

  protected finalNorm(x: tf.Tensor2D): tf.Tensor2D {
    const g = this.param<tf.Tensor1D>(`${PREFIX}ln_f.weight`);
    return layerNorm(x, g, this.param<tf.Tensor1D>(`${PREFIX}ln_f.bias`), this.spec.normEps); // (B*T, C)
  }
}

export const gpt2: Architecture = {
  family: 'gpt2',
  parameters,
  aliases: (name) => (name.startsWith(PREFIX) ? [name.slice(PREFIX.length)] : []),
  // Causal-mask buffers that transformers < 4.36 saved with every checkpoint.
  buffers: [/(^|\.)h\.\d+\.attn\.(bias|masked_bias)$/],
  build: (spec, params) => new Gpt2(spec, params, parameters(spec)),
};
