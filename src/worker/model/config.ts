/**
 * `config.json` → one normalized `ModelSpec` the architectures build from. Hugging Face names
 * the same quantity differently per family (n_embd vs hidden_size); this is the one place that
 * knows both. Unknown extra keys are allowed (real configs carry dozens); missing or
 * ill-typed keys we need are errors naming the key.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { UserInputError } from '../../shared/errors.ts';

export const SUPPORTED_MODEL_TYPES = ['gpt2', 'llama', 'mistral', 'qwen2'] as const;
export type ModelType = (typeof SUPPORTED_MODEL_TYPES)[number];
/** The code path an architecture runs: GPT-2 (pre-LN, learned positions) or the Llama family. */
export type ArchitectureFamily = 'gpt2' | 'llama';

export type RopeScaling =
  | {
      readonly type: 'llama3';
      readonly factor: number;
      readonly lowFreqFactor: number;
      readonly highFreqFactor: number;
      readonly originalMaxPositions: number;
    }
  | { readonly type: 'linear'; readonly factor: number };

export interface ModelSpec {
  readonly modelType: ModelType;
  readonly family: ArchitectureFamily;
  readonly vocabSize: number;
  readonly hidden: number;
  readonly layers: number;
  readonly heads: number;
  /** Key/value heads; fewer than `heads` is grouped-query attention. */
  readonly kvHeads: number;
  readonly headDim: number;
  /** MLP inner width. */
  readonly intermediate: number;
  readonly maxPositions: number;
  readonly normEps: number;
  readonly tieWordEmbeddings: boolean;
  /** Llama family: bias on q/k/v projections (Qwen2 always; Llama when attention_bias). */
  readonly qkvBias: boolean;
  /** Llama family: bias on o_proj (Llama attention_bias also covers o_proj; Qwen2 has none). */
  readonly oBias: boolean;
  readonly mlpBias: boolean;
  readonly ropeTheta: number;
  readonly ropeScaling: RopeScaling | null;
  readonly bosTokenId: number | null;
  readonly eosTokenId: number | null;
  /**
   * Mistral/Qwen2 sliding-window attention span. Attention is computed in full, which equals
   * sliding-window attention for sequences no longer than this; callers cap their windows here.
   */
  readonly slidingWindow?: number;
}

const positiveInt = z.number().int().positive();
const tokenId = z
  .union([z.number().int().nonnegative(), z.array(z.number().int().nonnegative())])
  .nullish();

const Gpt2Config = z.object({
  model_type: z.literal('gpt2'),
  vocab_size: positiveInt,
  n_embd: positiveInt,
  n_layer: positiveInt,
  n_head: positiveInt,
  n_positions: positiveInt,
  n_inner: positiveInt.nullish(),
  layer_norm_epsilon: z.number().positive().default(1e-5),
  activation_function: z.enum(['gelu_new', 'gelu_pytorch_tanh']).default('gelu_new'),
  tie_word_embeddings: z.boolean().default(true),
  // Variants of GPT-2 attention that change its numerics; not implemented, so refused by name.
  scale_attn_weights: z.literal(true).default(true),
  scale_attn_by_inverse_layer_idx: z.literal(false).default(false),
  reorder_and_upcast_attn: z.literal(false).default(false),
  bos_token_id: tokenId,
  eos_token_id: tokenId,
});

const RopeScalingConfig = z
  .object({
    rope_type: z.string().optional(),
    type: z.string().optional(),
    factor: z.number().positive().optional(),
    low_freq_factor: z.number().positive().optional(),
    high_freq_factor: z.number().positive().optional(),
    original_max_position_embeddings: positiveInt.optional(),
  })
  .nullish();

const LlamaFamilyConfig = z.object({
  model_type: z.enum(['llama', 'mistral', 'qwen2']),
  vocab_size: positiveInt,
  hidden_size: positiveInt,
  intermediate_size: positiveInt,
  num_hidden_layers: positiveInt,
  num_attention_heads: positiveInt,
  num_key_value_heads: positiveInt.nullish(),
  head_dim: positiveInt.nullish(),
  max_position_embeddings: positiveInt.default(2048),
  rms_norm_eps: z.number().positive().default(1e-6),
  rope_theta: z.number().positive().default(10000),
  rope_scaling: RopeScalingConfig,
  hidden_act: z.literal('silu').default('silu'),
  attention_bias: z.boolean().default(false),
  mlp_bias: z.boolean().default(false),
  tie_word_embeddings: z.boolean().default(false),
  sliding_window: positiveInt.nullish(),
  use_sliding_window: z.boolean().optional(),
  bos_token_id: tokenId,
  eos_token_id: tokenId,
});

const firstId = (id: number | number[] | null | undefined): number | null =>
  Array.isArray(id) ? (id[0] ?? null) : (id ?? null);

/** Elements of a layer's MLP weights: GPT-2's c_fc and c_proj, the Llama family's gate, up, down. */
export function mlpElementsPerLayer(spec: ModelSpec): number {
  return (spec.family === 'llama' ? 3 : 2) * spec.hidden * spec.intermediate;
}

/** Reads and normalizes `<folder>/config.json`. */
export function loadModelSpec(folder: string): ModelSpec {
  if (!existsSync(folder)) throw new UserInputError(folder, 'model folder does not exist');
  if (!statSync(folder).isDirectory()) {
    throw new UserInputError(
      folder,
      'is a file; give the Hugging Face model folder that holds config.json',
    );
  }
  const path = join(folder, 'config.json');
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch {
    throw new UserInputError(path, 'missing config.json; a Hugging Face model folder needs one');
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (error) {
    throw new UserInputError(path, `invalid JSON (${(error as Error).message})`);
  }
  return parseModelSpec(raw, path);
}

export function parseModelSpec(raw: unknown, path: string): ModelSpec {
  if (typeof raw !== 'object' || raw === null)
    throw new UserInputError(path, 'config.json must be a JSON object');
  const modelType = (raw as { model_type?: unknown }).model_type;
  if (typeof modelType !== 'string') {
    throw new UserInputError(
      path,
      `no "model_type"; supported: ${SUPPORTED_MODEL_TYPES.join(', ')}`,
    );
  }
  if (!(SUPPORTED_MODEL_TYPES as readonly string[]).includes(modelType)) {
    throw new UserInputError(
      path,
      `unknown architecture "${modelType}"; supported: ${SUPPORTED_MODEL_TYPES.join(', ')}`,
    );
  }
  return modelType === 'gpt2' ? gpt2Spec(raw, path) : llamaFamilySpec(raw, path);
}

function parseOrThrow<T extends z.ZodType>(schema: T, raw: unknown, path: string): z.infer<T> {
  const result = schema.safeParse(raw);
  if (!result.success) {
    const issue = result.error.issues[0]!;
    throw new UserInputError(
      path,
      `invalid config.json: "${issue.path.join('.')}": ${issue.message}`,
    );
  }
  return result.data;
}

function gpt2Spec(raw: unknown, path: string): ModelSpec {
  const c = parseOrThrow(Gpt2Config, raw, path);
  if (c.n_embd % c.n_head !== 0) {
    throw new UserInputError(
      path,
      `invalid config.json: n_embd ${c.n_embd} is not divisible by n_head ${c.n_head}`,
    );
  }
  return {
    modelType: 'gpt2',
    family: 'gpt2',
    vocabSize: c.vocab_size,
    hidden: c.n_embd,
    layers: c.n_layer,
    heads: c.n_head,
    kvHeads: c.n_head,
    headDim: c.n_embd / c.n_head,
    intermediate: c.n_inner ?? 4 * c.n_embd,
    maxPositions: c.n_positions,
    normEps: c.layer_norm_epsilon,
    // GPT-2's lm_head is always the token embedding (HF GPT2LMHeadModel ties it).
    tieWordEmbeddings: c.tie_word_embeddings,
    qkvBias: true,
    oBias: true,
    mlpBias: true,
    ropeTheta: 0,
    ropeScaling: null,
    bosTokenId: firstId(c.bos_token_id),
    eosTokenId: firstId(c.eos_token_id),
  };
}

function llamaFamilySpec(raw: unknown, path: string): ModelSpec {
  const c = parseOrThrow(LlamaFamilyConfig, raw, path);
  const kvHeads = c.num_key_value_heads ?? c.num_attention_heads;
  if (c.num_attention_heads % kvHeads !== 0) {
    throw new UserInputError(
      path,
      `invalid config.json: num_attention_heads ${c.num_attention_heads} is not a multiple of num_key_value_heads ${kvHeads}`,
    );
  }
  const headDim = c.head_dim ?? c.hidden_size / c.num_attention_heads;
  if (!Number.isInteger(headDim) || headDim % 2 !== 0) {
    throw new UserInputError(
      path,
      `invalid config.json: head dimension ${headDim} must be an even integer (set head_dim)`,
    );
  }
  const isQwen2 = c.model_type === 'qwen2';
  return {
    modelType: c.model_type,
    family: 'llama',
    vocabSize: c.vocab_size,
    hidden: c.hidden_size,
    layers: c.num_hidden_layers,
    heads: c.num_attention_heads,
    kvHeads,
    headDim,
    intermediate: c.intermediate_size,
    maxPositions: c.max_position_embeddings,
    normEps: c.rms_norm_eps,
    tieWordEmbeddings: c.tie_word_embeddings,
    qkvBias: isQwen2 || c.attention_bias,
    oBias: !isQwen2 && c.attention_bias,
    mlpBias: c.mlp_bias,
    ropeTheta: c.rope_theta,
    ropeScaling: ropeScaling(c.rope_scaling, path),
    bosTokenId: firstId(c.bos_token_id),
    eosTokenId: firstId(c.eos_token_id),
    // Qwen2 configs carry sliding_window but apply it only with use_sliding_window: true.
    ...(c.sliding_window && (c.model_type === 'mistral' || c.use_sliding_window === true)
      ? { slidingWindow: c.sliding_window }
      : {}),
  };
}

function ropeScaling(s: z.infer<typeof RopeScalingConfig>, path: string): RopeScaling | null {
  if (!s) return null;
  const type = s.rope_type ?? s.type;
  if (type === undefined || type === 'default') return null;
  const need = (key: keyof NonNullable<typeof s>): number => {
    const v = s[key];
    if (typeof v !== 'number')
      throw new UserInputError(
        path,
        `invalid config.json: rope_scaling.${key} is required for rope_type "${type}"`,
      );
    return v;
  };
  if (type === 'llama3') {
    return {
      type: 'llama3',
      factor: need('factor'),
      lowFreqFactor: need('low_freq_factor'),
      highFreqFactor: need('high_freq_factor'),
      originalMaxPositions: need('original_max_position_embeddings'),
    };
  }
  if (type === 'linear') return { type: 'linear', factor: need('factor') };
  throw new UserInputError(
    path,
    `unsupported rope_scaling type "${type}"; supported: llama3, linear`,
  );
}
