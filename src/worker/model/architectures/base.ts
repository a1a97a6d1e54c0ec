/**
 * The decoder-only transformer every family shares: embed → blocks → final norm → head, the
 * loss, incremental decoding and weight export. A family module supplies its embedding, block
 * and final norm (nanoGPT's split: one unit per concept).
 *
 * The residual stream is kept 2-D, (B*T, C), so every linear is one `matMul(x2d, W)`; only
 * attention reshapes to heads.
 */
import * as tf from '@tensorflow/tfjs';
import type { ModelSpec } from '../config.ts';
import { causalMask, LayerKvCache, paddedCausalMask } from './attention.ts';
import { fusedHeadCrossEntropy, fusedLayersAvailable } from './fused-ops.ts';
import { nextTokenStats } from './next-token-stats.ts';
import { linear, maskedMean, tokenCrossEntropy } from './ops.ts';
import {
  internalShape,
  type CausalLM,
  type ExportedTensor,
  type KvCache,
  type LinearHooks,
  type ParamSpec,
} from './types.ts';

/** What a block needs to know about the current call besides the residual stream. */
export interface ForwardContext<Positions> {
  readonly batch: number;
  /** New positions in this call. */
  readonly time: number;
  /** Positions before them (cached keys and values). */
  readonly past: number;
  /**
   * (T, past+T) additive causal mask; null when T = 1 (the new position sees everything).
   * (B, T, past+T) when the rows are left-padded (each row's padding keys masked too).
   */
  readonly mask: tf.Tensor2D | tf.Tensor3D | null;
  readonly cache: LayerKvCache | null;
  /** The family's encoding of positions past..past+T−1 (learned rows, rotations). */
  readonly positions: Positions;
}

/**
 * Whether a gradient tape is recording (inside tf.grads / variableGrads, or a checkpointed
 * block's recomputation): tfjs's engine state, which it does not expose otherwise.
 */
function gradientsRecorded(): boolean {
  return (tf.engine() as unknown as { state: { gradientDepth: number } }).state.gradientDepth > 0;
}

/**
 * Runs `f` (a tf.grads call made inside a backward pass) with the outer gradient call's tape put
 * back afterwards. tfjs keeps one tape (engine state `activeTape`): a gradient call started
 * while none is recording replaces it, and when done disposes its own and sets it to null, so the
 * outer call (still walking its copy of its nodes) would then fail to free its saved tensors.
 */
function withOwnTape<T>(f: () => T): T {
  const state = (tf.engine() as unknown as { state: { activeTape: unknown } }).state;
  const outer = state.activeTape;
  try {
    return f();
  } finally {
    state.activeTape = outer;
  }
}

/** Causal masks are rebuilt in JS per shape; keep the few shapes a run uses. */
const MAX_CACHED_MASKS = 8;

export abstract class TransformerLM<Positions> implements CausalLM {
  readonly transposed: ReadonlySet<string>;
  private readonly masks = new Map<string, tf.Tensor2D>();
  private hooks: LinearHooks | null = null;
  /** Gradient checkpointing: each block's activations recomputed in the backward pass. */
  private checkpointing = false;
  /** While a checkpointed block is recomputed: its parameters, as the backward pass's inputs. */
  private overrides: ReadonlyMap<string, tf.Tensor> | null = null;
  /** Each layer's parameter names (the `.<layer>.` segment of the HF name), found once. */
  private readonly layerParams = new Map<number, string[]>();

  constructor(
    readonly spec: ModelSpec,
    readonly params: ReadonlyMap<string, tf.Variable>,
    private readonly layout: readonly ParamSpec[],
  ) {
    for (const p of layout) {
      const v = params.get(p.name);
      const want = internalShape(p);
      if (!v || v.shape.join() !== want.join()) {
        throw new Error(
          `${spec.modelType}: parameter ${p.name} is ${v ? `[${v.shape.join(', ')}]` : 'missing'}, expected [${want.join(', ')}]`,
        );
      }
    }
    this.transposed = new Set(layout.filter((p) => p.transposed).map((p) => p.name));
  }

  /**
   * Position encodings for positions past..past+T−1, built once per call for every block. With
   * `padding` (rows left-padded by padding[r] tokens), row r's are past+t−padding[r], from 0.
   */
  protected abstract positions(
    past: number,
    T: number,
    padding?: readonly number[] | null,
  ): Positions;
  /** Token embeddings (plus learned positions): ids (B, T) → (B*T, C). */
  protected abstract embed(ids: tf.Tensor2D, ctx: ForwardContext<Positions>): tf.Tensor2D;
  /** One decoder block on the residual stream (B*T, C) → (B*T, C). */
  protected abstract block(
    x: tf.Tensor2D,
    layer: number,
    ctx: ForwardContext<Positions>,
  ): tf.Tensor2D;
  protected abstract finalNorm(x: tf.Tensor2D): tf.Tensor2D;
  /** Name of the token embedding, which is also the head when the weights are tied. */
  protected abstract readonly embeddingName: string;

  protected param<T extends tf.Tensor>(name: string): T {
    if (this.overrides !== null) {
      const given = this.overrides.get(name);
      if (!given)
        throw new Error(
          `${this.spec.modelType}: gradient checkpointing: a block reads ${name}, which is not one of its layer's parameters`,
        );
      return given as T;
    }
    const v = this.params.get(name);
    if (!v) throw new Error(`${this.spec.modelType}: no parameter ${name}`);
    return v as unknown as T;
  }

  /**
   * A block's linear projection `prefix` (`….mlp.c_fc`): x (N, in) → (N, out) with
   * `prefix.weight` ([in, out] internally) and `prefix.bias` when the model has one, through
   * the installed hooks.
   */
  protected project(x: tf.Tensor2D, prefix: string): tf.Tensor2D {
    const name = `${prefix}.weight`;
    const base = this.param<tf.Tensor2D>(name);
    this.hooks?.observeInput?.(name, x);
    const biasName = `${prefix}.bias`;
    const bias = this.params.has(biasName) ? this.param<tf.Tensor1D>(biasName) : undefined;
    const hooked = this.hooks?.project?.(name, x, base) ?? null; // (N, out)
    if (hooked !== null) return bias ? hooked.add<tf.Tensor2D>(bias) : hooked;
    const weight = this.hooks?.weight ? this.hooks.weight(name, base) : base; // (in, out)
    return linear(x, weight, bias); // (N, out)
  }

  setLinearHooks(hooks: LinearHooks | null): void {
    this.hooks = hooks;
  }

  setCheckpointing(on: boolean): void {
    this.checkpointing = on;
  }

  /**
   * One block with gradient checkpointing: the forward pass keeps only the block's input (and
   * the parameters, which live anyway); the backward pass runs the block again under its own
   * tape and takes the gradients of the input and of every parameter of the layer from it. One
   * block's activations are alive at a time instead of every block's, for one more forward pass.
   * The layer's parameters go in as explicit inputs, so that their gradients reach the caller;
   * a block that read any other parameter would lose its gradient, and throws instead.
   */
  private checkpointedBlock(
    x: tf.Tensor2D,
    layer: number,
    ctx: ForwardContext<Positions>,
  ): tf.Tensor2D {
    const names = this.paramsOfLayer(layer);
    const block = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const save = args.at(-1) as tf.GradSaveFunc;
      const inputs = args.slice(0, -1) as tf.Tensor[];
      save([inputs[0]!]); // (B*T, C): the parameters are the model's, alive anyway
      return {
        value: tf.tidy(() => this.block(inputs[0] as tf.Tensor2D, layer, ctx)), // (B*T, C)
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) =>
          tf.tidy(() => {
            // The forward pass's position tables are gone by now; rebuilt (cheap), and the
            // mask from the cache (rebuilt if it was evicted).
            const again: ForwardContext<Positions> = {
              ...ctx,
              mask: this.causalMask(ctx.time, ctx.past + ctx.time),
              positions: this.positions(ctx.past, ctx.time),
            };
            const recompute = (...xs: tf.Tensor[]) => {
              this.overrides = new Map(names.map((n, i) => [n, xs[i + 1]!]));
              try {
                return this.block(xs[0] as tf.Tensor2D, layer, again);
              } finally {
                this.overrides = null;
              }
            };
            const params = names.map((n) => this.params.get(n)!);
            return withOwnTape(() => tf.grads(recompute)([saved[0]!, ...params], dy)); // dx, then each parameter's
          }),
      };
    });
    return block(x, ...names.map((n) => this.params.get(n)!)) as tf.Tensor2D;
  }

  private paramsOfLayer(layer: number): string[] {
    let names = this.layerParams.get(layer);
    if (!names) {
      names = [...this.params.keys()].filter((n) => /\.(\d+)\./.exec(n)?.[1] === String(layer));
      this.layerParams.set(layer, names);
    }
    return names;
  }

  /** Final hidden states (B*T, C) → logits (B*T, V). */
  protected head(h: tf.Tensor2D): tf.Tensor2D {
    if (this.spec.tieWordEmbeddings)
      return tf.matMul(h, this.param<tf.Tensor2D>(this.embeddingName), false, true); // (N, V)
    return tf.matMul(h, this.param<tf.Tensor2D>('lm_head.weight')); // (N, V), lm_head kept [C, V]
  }

  /**
   * Per-token cross-entropy of the head's next-token prediction: h (N, C), targets (N) → (N).
   * With the native kernels the logits are never held whole (chunked head, native-head.ts).
   */
  protected headLoss(h: tf.Tensor2D, targets: tf.Tensor1D): tf.Tensor1D {
    if (fusedLayersAvailable() && h.dtype === 'float32' && targets.dtype === 'int32') {
      const tied = this.spec.tieWordEmbeddings;
      const weight = this.param<tf.Tensor2D>(tied ? this.embeddingName : 'lm_head.weight');
      return fusedHeadCrossEntropy(h, weight, targets, tied);
    }
    return tokenCrossEntropy(this.head(h), targets);
  }

  /**
   * ids (B, T) → final hidden states (B*T, C); with a cache, appends to it. When no gradient
   * is being recorded (evaluation, decoding), each block runs in its own tidy and its
   * intermediates are freed when it returns; under a gradient tape they stay for the backward
   * pass. One tidy around the whole forward pass held every layer's at once: 20 GiB of tensors
   * to prefill 32 prompts of 150 tokens at the 0.5B shape.
   */
  protected hidden(ids: tf.Tensor2D, cache: LayerKvCache | null): tf.Tensor2D {
    const inference = !gradientsRecorded();
    if (ids.dtype !== 'int32') throw new TypeError(`token ids must be int32, got ${ids.dtype}`);
    const [B, T] = ids.shape;
    const past = cache?.length ?? 0;
    const padding = cache?.padding ?? null;
    if (padding !== null && padding.length !== B)
      throw new RangeError(`the cache was made for ${padding.length} rows, not ${B}`);
    const mask =
      padding === null ? this.causalMask(T, past + T) : paddedCausalMask(T, past + T, padding);
    const ctx: ForwardContext<Positions> = {
      batch: B,
      time: T,
      past,
      mask,
      cache,
      positions: this.positions(past, T, padding),
    };
    let x = this.embed(ids, ctx); // (B*T, C)
    // Checkpointing is for training: never with a cache (decoding), nor with a projection hook
    // (LoRA), whose adapter variables are not the layer's parameters.
    const checkpointed = this.checkpointing && cache === null && !this.hooks?.project;
    for (let layer = 0; layer < this.spec.layers; layer++) {
      if (inference) {
        const input = x;
        x = tf.tidy(() => this.block(input, layer, ctx)); // (B*T, C)
        input.dispose();
      } else x = checkpointed ? this.checkpointedBlock(x, layer, ctx) : this.block(x, layer, ctx); // (B*T, C)
    }
    cache?.advance(T);
    return this.finalNorm(x); // (B*T, C)
  }

  logits(ids: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => {
      const [B, T] = ids.shape;
      return this.head(this.hidden(ids, null)).reshape([B, T, this.spec.vocabSize]); // (B, T, V)
    });
  }

  finalHidden(ids: tf.Tensor2D): tf.Tensor3D {
    return tf.tidy(() => {
      const [B, T] = ids.shape;
      return this.hidden(ids, null).reshape([B, T, this.spec.hidden]); // (B, T, C)
    });
  }

  nextTokenStats(ids: tf.Tensor2D, targets: tf.Tensor2D): tf.Tensor2D {
    const [B, T] = ids.shape;
    return tf.tidy(() => {
      const tied = this.spec.tieWordEmbeddings;
      const weight = this.param<tf.Tensor2D>(tied ? this.embeddingName : 'lm_head.weight');
      const flatTargets = targets.reshape<tf.Tensor1D>([B * T]); // (B*T)
      return nextTokenStats(this.hidden(ids, null), weight, flatTargets, tied); // (B*T, 4)
    });
  }

  nll(ids: tf.Tensor2D, mask?: tf.Tensor2D): tf.Scalar {
    const [B, T] = ids.shape;
    if (T < 2) throw new RangeError(`nll needs at least 2 tokens per sequence, got ${T}`);
    return tf.tidy(() => {
      const C = this.spec.hidden;
      const h = this.hidden(ids, null) // (B*T, C)
        .reshape([B, T, C])
        .slice([0, 0, 0], [B, T - 1, C]) // (B, T-1, C): the last position predicts nothing
        .reshape<tf.Tensor2D>([B * (T - 1), C]); // (B*(T-1), C)
      const targets = ids.slice([0, 1], [B, T - 1]).reshape<tf.Tensor1D>([B * (T - 1)]); // (B*(T-1))
      const weights: tf.Tensor1D = mask
        ? mask
            .slice([0, 1], [B, T - 1])
            .reshape<tf.Tensor1D>([B * (T - 1)])
            .toFloat() // (B*(T-1))
        : tf.ones([B * (T - 1)], 'float32');
      return maskedMean(this.headLoss(h, targets), weights);
    });
  }

  sequenceNll(ids: tf.Tensor2D, mask?: tf.Tensor2D): tf.Tensor1D {
    const [B, T] = ids.shape;
    if (T < 2) throw new RangeError(`sequenceNll needs at least 2 tokens per sequence, got ${T}`);
    return tf.tidy(() => {
      const C = this.spec.hidden;
      const h = this.hidden(ids, null) // (B*T, C)
        .reshape([B, T, C])
        .slice([0, 0, 0], [B, T - 1, C]) // (B, T-1, C)
        .reshape<tf.Tensor2D>([B * (T - 1), C]); // (B*(T-1), C)
      const targets = ids.slice([0, 1], [B, T - 1]).reshape<tf.Tensor1D>([B * (T - 1)]); // (B*(T-1))
      const perToken = this.headLoss(h, targets).reshape([B, T - 1]); // (B, T-1)
      const real = mask ? perToken.mul(mask.slice([0, 1], [B, T - 1]).toFloat()) : perToken; // (B, T-1)
      return real.sum(1) as tf.Tensor1D; // (B)
    });
  }

  createCache(leftPadding?: readonly number[]): KvCache {
    return new LayerKvCache(this.spec.layers, leftPadding);
  }

  decode(ids: tf.Tensor2D, cache: KvCache): tf.Tensor3D {
    if (!(cache instanceof LayerKvCache))
      throw new TypeError("decode needs a cache from this model's createCache()");
    return tf.tidy(() => {
      const [B, T] = ids.shape;
      return this.head(this.hidden(ids, cache)).reshape([B, T, this.spec.vocabSize]); // (B, T, V)
    });
  }

  decodeNext(ids: tf.Tensor2D, cache: KvCache): tf.Tensor2D {
    if (!(cache instanceof LayerKvCache))
      throw new TypeError("decode needs a cache from this model's createCache()");
    return tf.tidy(() => {
      const [B, T] = ids.shape;
      const C = this.spec.hidden;
      const last = this.hidden(ids, cache) // (B*T, C)
        .reshape([B, T, C])
        .slice([0, T - 1, 0], [B, 1, C])
        .reshape<tf.Tensor2D>([B, C]); // (B, C)
      return this.head(last); // (B, V)
    });
  }

  async exportWeights(): Promise<ExportedTensor[]> {
    const out: ExportedTensor[] = [];
    for (const p of this.layout) {
      const v = this.params.get(p.name)!;
      const data = (await v.data()) as Float32Array;
      const [rows, cols] = v.shape as [number, number];
      out.push({
        name: p.name,
        shape: [...p.shape],
        data: p.transposed ? transpose2d(data, rows, cols) : data,
      });
    }
    return out;
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    for (const m of this.masks.values()) m.dispose();
    this.masks.clear();
  }

  private causalMask(T: number, S: number): tf.Tensor2D | null {
    if (T === 1) return null;
    const key = `${T}x${S}`;
    let mask = this.masks.get(key);
    if (!mask) {
      if (this.masks.size >= MAX_CACHED_MASKS) {
        const [oldest, tensor] = this.masks.entries().next().value!;
        tensor.dispose();
        this.masks.delete(oldest);
      }
      mask = tf.keep(causalMask(T, S));
      this.masks.set(key, mask);
    }
    return mask;
  }
}

/** Row-major (rows, cols) → (cols, rows). */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const row = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[row + c]!;
  }
  return out;
}
