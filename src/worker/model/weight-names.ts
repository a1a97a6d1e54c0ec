/**
 * Which tensors a checkpoint must hold for a given config, in Hugging Face names and layouts,
 * and the checkpoint quirks that go with them:
 * - GPT-2 files exist with and without the `transformer.` prefix (GPT2Model vs GPT2LMHeadModel).
 * - GPT-2 uses Conv1D, so its linear weights are stored [in, out], not nn.Linear's [out, in].
 * - GPT-2 files may carry the `attn.bias` / `attn.masked_bias` causal-mask buffers: not weights.
 * - `lm_head.weight` is absent when the head is tied to the token embedding.
 */
import { UserInputError } from '../../shared/errors.ts';
import type { ModelSpec } from './config.ts';
import type { Checkpoint } from './safetensors/index.ts';

export interface ExpectedWeight {
  /** Canonical name: GPT-2 without the `transformer.` prefix, Llama family as in HF. */
  readonly name: string;
  readonly shape: readonly number[];
  /** Absent in tied checkpoints. */
  readonly optional?: boolean;
}

const BUFFER = /(^|\.)attn\.(bias|masked_bias)$|rotary_emb\.inv_freq$/;
const BLOCK_LINEAR =
  /(^|\.)(h|layers)\.\d+\.(attn\.(c_attn|c_proj)|mlp\.(c_fc|c_proj)|self_attn\.(q|k|v|o)_proj|mlp\.(gate|up|down)_proj)\.weight$/;

/** Non-parameter tensors that checkpoints may carry (GPT-2's causal mask, rotary caches). */
export function isBuffer(name: string): boolean {
  return BUFFER.test(name);
}

/** A weight matrix of a transformer block's linear layers: what pruning and sparsity are about. */
export function isBlockLinearWeight(name: string): boolean {
  return BLOCK_LINEAR.test(name);
}

export function expectedWeights(spec: ModelSpec): ExpectedWeight[] {
  return spec.family === 'gpt2' ? gpt2Weights(spec) : llamaWeights(spec);
}

function gpt2Weights(s: ModelSpec): ExpectedWeight[] {
  const C = s.hidden;
  const I = s.intermediate;
  const out: ExpectedWeight[] = [
    { name: 'wte.weight', shape: [s.vocabSize, C] },
    { name: 'wpe.weight', shape: [s.maxPositions, C] },
  ];
  for (let i = 0; i < s.layers; i++) {
    const p = `h.${i}.`;
    out.push(
      { name: `${p}ln_1.weight`, shape: [C] },
      { name: `${p}ln_1.bias`, shape: [C] },
      { name: `${p}attn.c_attn.weight`, shape: [C, 3 * C] }, // Conv1D: [in, out]
      { name: `${p}attn.c_attn.bias`, shape: [3 * C] },
      { name: `${p}attn.c_proj.weight`, shape: [C, C] },
      { name: `${p}attn.c_proj.bias`, shape: [C] },
      { name: `${p}ln_2.weight`, shape: [C] },
      { name: `${p}ln_2.bias`, shape: [C] },
      { name: `${p}mlp.c_fc.weight`, shape: [C, I] },
      { name: `${p}mlp.c_fc.bias`, shape: [I] },
      { name: `${p}mlp.c_proj.weight`, shape: [I, C] },
      { name: `${p}mlp.c_proj.bias`, shape: [C] },
    );
  }
  out.push({ name: 'ln_f.weight', shape: [C] }, { name: 'ln_f.bias', shape: [C] });
  out.push({ name: 'lm_head.weight', shape: [s.vocabSize, C], optional: s.tieWordEmbeddings });
  return out;
}

function llamaWeights(s: ModelSpec): ExpectedWeight[] {
  const H = s.hidden;
  const q = s.heads * s.headDim;
  const kv = s.kvHeads * s.headDim;
  const I = s.intermediate;
  const out: ExpectedWeight[] = [{ name: 'model.embed_tokens.weight', shape: [s.vocabSize, H] }];
  for (let i = 0; i < s.layers; i++) {
    const p = `model.layers.${i}.`;
    out.push(
      { name: `${p}input_layernorm.weight`, shape: [H] },
      { name: `${p}self_attn.q_proj.weight`, shape: [q, H] }, // nn.Linear: [out, in]
      { name: `${p}self_attn.k_proj.weight`, shape: [kv, H] },
      { name: `${p}self_attn.v_proj.weight`, shape: [kv, H] },
      { name: `${p}self_attn.o_proj.weight`, shape: [H, q] },
      { name: `${p}post_attention_layernorm.weight`, shape: [H] },
      { name: `${p}mlp.gate_proj.weight`, shape: [I, H] },
      { name: `${p}mlp.up_proj.weight`, shape: [I, H] },
      { name: `${p}mlp.down_proj.weight`, shape: [H, I] },
    );
    if (s.qkvBias) {
      out.push(
        { name: `${p}self_attn.q_proj.bias`, shape: [q] },
        { name: `${p}self_attn.k_proj.bias`, shape: [kv] },
        { name: `${p}self_attn.v_proj.bias`, shape: [kv] },
      );
    }
    if (s.oBias) out.push({ name: `${p}self_attn.o_proj.bias`, shape: [H] });
    if (s.mlpBias) {
      out.push(
        { name: `${p}mlp.gate_proj.bias`, shape: [I] },
        { name: `${p}mlp.up_proj.bias`, shape: [I] },
        { name: `${p}mlp.down_proj.bias`, shape: [H] },
      );
    }
  }
  out.push({ name: 'model.norm.weight', shape: [H] });
  out.push({ name: 'lm_head.weight', shape: [s.vocabSize, H], optional: s.tieWordEmbeddings });
  return out;
}

/** The name a canonical weight has in this checkpoint (GPT-2: with or without `transformer.`). */
export function fileKey(spec: ModelSpec, checkpoint: Checkpoint, canonical: string): string | undefined {
  if (checkpoint.has(canonical)) return canonical;
  if (spec.family === 'gpt2' && canonical !== 'lm_head.weight') {
    const prefixed = `transformer.${canonical}`;
    if (checkpoint.has(prefixed)) return prefixed;
  }
  return undefined;
}

/**
 * Checks that every expected tensor is present with the shape config.json implies. Returns the
 * map canonical name → name in the file. Errors name the tensor and the file.
 */
export function checkCheckpointShapes(spec: ModelSpec, checkpoint: Checkpoint): Map<string, string> {
  const keys = new Map<string, string>();
  for (const w of expectedWeights(spec)) {
    const key = fileKey(spec, checkpoint, w.name);
    if (key === undefined) {
      if (w.optional) continue;
      throw new UserInputError(
        checkpoint.folder,
        `missing tensor "${w.name}" that config.json (model_type ${spec.modelType}) requires; the weights do not belong to this config`,
      );
    }
    const actual = checkpoint.entry(key)!.shape;
    if (actual.length !== w.shape.length || actual.some((d, i) => d !== w.shape[i])) {
      throw new UserInputError(
        checkpoint.fileOf(key),
        `tensor "${key}" has shape [${actual.join(', ')}] but config.json implies [${w.shape.join(', ')}]`,
      );
    }
    keys.set(w.name, key);
  }
  return keys;
}
