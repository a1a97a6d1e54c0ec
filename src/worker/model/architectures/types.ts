/**
 * What every architecture provides. A model is a set of named tfjs variables plus the forward
 * pass over them; adding an architecture means one module that declares its parameters
 * (`Architecture.parameters`) and its block, and one entry in `index.ts`.
 */
import type * as tf from '@tensorflow/tfjs';
import type { ArchitectureFamily, ModelSpec } from '../config.ts';

/** One trainable parameter as an architecture declares it. */
export interface ParamSpec {
  /** Canonical Hugging Face name, as `save_pretrained` writes it (e.g. `transformer.h.0.attn.c_attn.weight`). */
  readonly name: string;
  /** Shape in the HF checkpoint. */
  readonly shape: readonly number[];
  /**
   * The variable holds the transpose of the HF tensor: `nn.Linear` weights are stored [out, in]
   * and kept [in, out] so that every linear is `matMul(x2d, W)` without a transpose.
   */
  readonly transposed: boolean;
  /** How `createRandomModel` fills it. */
  readonly init: 'normal' | 'zeros' | 'ones';
}

/** One tensor in HF layout and naming, ready for `writeCheckpoint`. */
export interface ExportedTensor {
  readonly name: string;
  readonly shape: number[];
  readonly data: Float32Array;
}

/** Keys and values of past positions, per layer, for incremental decoding. Owns tensors. */
export interface KvCache {
  /** Positions already in the cache. */
  readonly length: number;
  dispose(): void;
}

/**
 * How a run changes what a block's linear projections compute without touching their
 * parameters: LoRA adapters substitute an effective weight, Wanda pruning reads the inputs.
 * `name` is the weight parameter's HF name (`….mlp.c_fc.weight`). Both are called inside the
 * forward pass (inside its `tf.tidy`): they must not keep tensors they are given.
 */
export interface LinearHooks {
  /** The weight to use, internal layout [in, out], instead of `base` (same layout). */
  weight?(name: string, base: tf.Tensor2D): tf.Tensor2D;
  /**
   * The product x (N, in) · W (N, out) for `name`, computed by the hook instead of
   * x · weight(name, base) (LoRA: a product whose backward pass recomputes W); null where it
   * does not apply. The bias, if any, is added after it.
   */
  project?(name: string, x: tf.Tensor2D, base: tf.Tensor2D): tf.Tensor2D | null;
  /** Sees the input (N, in) of the projection. */
  observeInput?(name: string, x: tf.Tensor2D): void;
}

export interface CausalLM {
  readonly spec: ModelSpec;
  /** Trainable parameters keyed by canonical HF name; layout per `transposed`. */
  readonly params: ReadonlyMap<string, tf.Variable>;
  /** Names of the params whose variable is the transpose of the HF tensor. */
  readonly transposed: ReadonlySet<string>;
  /** (B, T) int32 → (B, T, V). Causal; no padding mask (right padding never reaches real positions). */
  logits(ids: tf.Tensor2D): tf.Tensor3D;
  /**
   * (B, T) int32 → the final hidden states (B, T, C): after the final norm, what the head reads
   * (HF's `hidden_states[-1]`). Causal like `logits`: right padding never reaches a real position.
   */
  finalHidden(ids: tf.Tensor2D): tf.Tensor3D;
  /**
   * Teacher-forced next-token statistics: ids (B, T) and targets (B, T) int32 → (B*T, 4) rows
   * [log p(target), argmax = target (0/1), μ = Σ p log p, σ of log p under p]
   * (next-token-stats.ts); never holds the (B, T, V) logits on the native kernels.
   */
  nextTokenStats(ids: tf.Tensor2D, targets: tf.Tensor2D): tf.Tensor2D;
  /**
   * Mean next-token NLL over the positions whose TARGET has mask 1 (mask (B, T) float, 1 = real
   * token; as HF with labels = -100 on padding). Zero when no target is real.
   */
  nll(ids: tf.Tensor2D, mask?: tf.Tensor2D): tf.Scalar;
  /**
   * Summed next-token NLL per sequence over the targets with mask 1: (B, T) → (B). Its gradient
   * is exact (written out, like `nll`); −sequenceNll is log π(x) in the NPO formulas.
   */
  sequenceNll(ids: tf.Tensor2D, mask?: tf.Tensor2D): tf.Tensor1D;
  /** Installs (or with null removes) hooks on every block linear projection. */
  setLinearHooks(hooks: LinearHooks | null): void;
  /**
   * Gradient checkpointing (off by default): training passes keep only each block's input and
   * recompute its activations in the backward pass. Not with a projection hook (LoRA).
   */
  setCheckpointing(on: boolean): void;
  /**
   * A cache for decoding. `leftPadding`: per row, how many pad tokens the first `decode` call's
   * prompt starts with (prompts of different lengths batched, right-aligned): those keys are
   * never attended to and each row's positions count from its first real token, so every row
   * decodes as it would alone.
   */
  createCache(leftPadding?: readonly number[]): KvCache;
  /** Logits (B, T, V) of `ids`, which continue the sequence in `cache`; appends their keys and values. */
  decode(ids: tf.Tensor2D, cache: KvCache): tf.Tensor3D;
  /** As `decode`, but only the last position's logits (B, V): what greedy decoding reads. */
  decodeNext(ids: tf.Tensor2D, cache: KvCache): tf.Tensor2D;
  /** Every parameter in HF layout and naming (tied heads omitted, as HF saves them). */
  exportWeights(): Promise<ExportedTensor[]>;
  dispose(): void;
}

/** An architecture family: its parameters and how to build the forward pass over them. */
export interface Architecture {
  readonly family: ArchitectureFamily;
  /** Every parameter the checkpoint must provide for `spec`, in HF order. */
  parameters(spec: ModelSpec): ParamSpec[];
  /** Other checkpoint names a parameter may be stored under (GPT-2: without `transformer.`). */
  aliases(name: string): string[];
  /** Checkpoint tensors that are buffers, not parameters, which older HF versions saved. */
  readonly buffers: readonly RegExp[];
  /** Takes ownership of `params`, which hold exactly `parameters(spec)` in internal layout. */
  build(spec: ModelSpec, params: Map<string, tf.Variable>): CausalLM;
}

/** The shape a parameter's variable has: HF shape, reversed when kept transposed. */
export function internalShape(p: ParamSpec): number[] {
  return p.transposed ? [...p.shape].reverse() : [...p.shape];
}
