/**
 * LoRA adapters on a `CausalLM`'s linear projections, with the bounded update of Bounded PEU
 * (ALGORITHMS.md, "Bounded PEU — sine-bounded LoRA"):
 *
 *     sine:  W = W₀ + (α/r)·sin(ω·B·A)/√d_in
 *     tanh:  W = W₀ + (α/r)·tanh(ω·B·A)/√d_in
 *     none:  W = W₀ + (α/r)·B·A                  (plain LoRA, Hu et al. 2021, eq. 3)
 *
 * A ∈ R^{r×d_in} and B ∈ R^{d_out×r} are in PEFT's layout; B = 0, so a fresh adapter leaves the
 * model exactly at W₀, and with sin or tanh every entry of the update stays within (α/r)/√d_in
 * however far training pushes A and B. The base weights are never written until `merge()`.
 *
 * The model's weights are [in, out] internally, so the update is applied as (B·A)ᵀ = Aᵀ·Bᵀ;
 * sin and tanh act entrywise and commute with the transpose.
 */
import * as tf from '@tensorflow/tfjs';
import { mulberry32 } from '../../data/prng.ts';
import { BOUNDED_GRAD, BOUNDED_WEIGHT } from '../../engine/wasm-kernels/native-layers.ts';
import type { CausalLM } from '../architectures/types.ts';
import { fusedLayersAvailable } from '../architectures/fused-ops.ts';
import {
  adapterConfig,
  peftTensorName,
  writeAdapterFolder,
  type AdapterDescription,
  type BoundFunction,
} from './export.ts';
import { describeTargets, mlpTargets, type LoraTarget } from './targets.ts';

export type { BoundFunction };

export interface LoraOptions {
  /** r: 4–32 must all work (ALGORITHMS.md); 8 by default. */
  readonly rank: number;
  /** α; the update is scaled by α/r. The method's default is 2r. */
  readonly alpha: number;
  /** ω, the frequency inside sin/tanh; 100 by default. Unused by `none`. */
  readonly omega: number;
  readonly bound: BoundFunction;
  /** Seeds A's initialization; same seed, same A on every backend. */
  readonly seed: number;
  /** Weight names to wrap; the MLP projections (`mlpTargets`) when omitted. */
  readonly targets?: readonly string[];
}

/** Bounded PEU's defaults: rank 8, α = 2r, ω = 100, sine. */
export function loraDefaults(rank = 8): LoraOptions {
  return { rank, alpha: 2 * rank, omega: 100, bound: 'sine', seed: 0 };
}

export interface AdapterNorms {
  /** Global L2 norm of every A and B. */
  readonly adapterNorm: number;
  /** Global L2 norm of every update W − W₀. */
  readonly deltaNorm: number;
}

interface Adapter {
  readonly target: LoraTarget;
  readonly a: tf.Variable<tf.Rank.R2>; // (r, d_in)
  readonly b: tf.Variable<tf.Rank.R2>; // (d_out, r)
  /** (α/r)/√d_in for sine and tanh, α/r for none. */
  readonly scale: number;
}

type State = 'attached' | 'merged' | 'detached' | 'disposed';

export class LoraAdapters {
  /** `<module>.lora_A.weight` and `<module>.lora_B.weight` for every target. Trainable. */
  readonly variables: ReadonlyMap<string, tf.Variable>;
  readonly targets: readonly LoraTarget[];
  private readonly adapters: ReadonlyMap<string, Adapter>;
  private state: State = 'attached';

  private constructor(
    private readonly model: CausalLM,
    readonly options: Readonly<LoraOptions>,
    adapters: Adapter[],
  ) {
    this.adapters = new Map(adapters.map((x) => [x.target.weight, x]));
    this.targets = adapters.map((x) => x.target);
    const variables = new Map<string, tf.Variable>();
    for (const x of adapters) {
      variables.set(`${x.target.module}.lora_A.weight`, x.a);
      variables.set(`${x.target.module}.lora_B.weight`, x.b);
    }
    this.variables = variables;
  }

  /**
   * Creates the adapters and installs them as the model's linear hooks. The model has one hook
   * slot: hooks installed before (a Wanda observer) are replaced, and `detach` clears the slot.
   */
  static attach(model: CausalLM, options: LoraOptions): LoraAdapters {
    const { rank, alpha, omega, bound, seed } = options;
    if (!Number.isInteger(rank) || rank < 1)
      throw new RangeError(`LoRA rank must be a positive integer, got ${rank}`);
    if (!Number.isFinite(alpha) || alpha <= 0)
      throw new RangeError(`LoRA alpha must be a positive number, got ${alpha}`);
    if (!['sine', 'tanh', 'none'].includes(bound))
      throw new RangeError(`unknown LoRA bound "${String(bound)}"; known: sine, tanh, none`);
    if (bound !== 'none' && (!Number.isFinite(omega) || omega <= 0))
      throw new RangeError(
        `LoRA omega must be a positive number for bound "${bound}", got ${omega}`,
      );
    const targets = describeTargets(model, options.targets ?? mlpTargets(model));
    if (targets.length === 0)
      throw new Error(`no LoRA targets in this ${model.spec.modelType} model`);

    const adapters = targets.map((target, i): Adapter => {
      const { dIn, dOut } = target;
      // tidy frees the initial values; variables hold their own reference and outlive it.
      const a = tf.tidy(() => tf.variable(kaimingUniformA(rank, dIn, seed, i), true)); // (r, d_in)
      const b = tf.tidy(() => tf.variable(tf.zeros<tf.Rank.R2>([dOut, rank]), true)); // (d_out, r)
      const scale = bound === 'none' ? alpha / rank : alpha / rank / Math.sqrt(dIn);
      return { target, a, b, scale };
    });
    const lora = new LoraAdapters(model, { ...options }, adapters);
    model.setLinearHooks({ project: (name, x, base) => lora.projected(name, x, base) });
    return lora;
  }

  /** Largest |W − W₀| any entry of `weight`'s update can reach: (α/r)/√d_in; ∞ for `none`. */
  bound(weight: string): number {
    const x = this.adapter(weight);
    return this.options.bound === 'none' ? Infinity : x.scale;
  }

  /** The update W − W₀ of `weight`, [in, out] like the model's weight; the caller disposes it. */
  delta(weight: string): tf.Tensor2D {
    this.alive();
    const x = this.adapter(weight);
    return tf.tidy(() => this.update(x.a, x.b, x.scale)); // (d_in, d_out)
  }

  /**
   * Global norms, for the per-step log (the method's point: they stay bounded). Each update is
   * reduced to its sum of squares in its own tidy: one tidy over all of them held every
   * full-size ΔW at once (13 GiB at the Llama-3.2-1B shape, the run's peak).
   */
  async norms(): Promise<AdapterNorms> {
    this.alive();
    const all = [...this.adapters.values()];
    const perWeight = all.map((x) => tf.tidy(() => this.update(x.a, x.b, x.scale).square().sum())); // () each
    const squares = tf.tidy(() => {
      const adapter = tf.addN(all.flatMap((x) => [x.a.square().sum(), x.b.square().sum()])); // ()
      return tf.stack([adapter, tf.addN(perWeight)]); // (2)
    });
    tf.dispose(perWeight);
    const [adapterSq, deltaSq] = await squares.data();
    squares.dispose();
    return { adapterNorm: Math.sqrt(adapterSq!), deltaNorm: Math.sqrt(deltaSq!) };
  }

  /** Writes W₀ + ΔW into the model's weights and removes the hooks; the adapters stay readable. */
  merge(): void {
    this.requireAttached('merge');
    for (const x of this.adapters.values()) {
      const base = this.model.params.get(x.target.weight)!;
      tf.tidy(() => base.assign(base.add(this.update(x.a, x.b, x.scale)))); // (d_in, d_out)
    }
    this.model.setLinearHooks(null);
    this.state = 'merged';
  }

  /** Removes the hooks: the model computes with W₀ again. */
  detach(): void {
    this.requireAttached('detach');
    this.model.setLinearHooks(null);
    this.state = 'detached';
  }

  /**
   * Writes `adapter_model.safetensors` and `adapter_config.json` (PEFT's layout, F32) into
   * `folder`; returns the paths. `baseModel` goes into `base_model_name_or_path`.
   */
  async exportAdapter(folder: string, baseModel: string | null = null): Promise<string[]> {
    this.alive();
    const tensors = [];
    for (const x of this.adapters.values()) {
      const { module, dIn, dOut } = x.target;
      const r = this.options.rank;
      const a = (await x.a.data()) as Float32Array; // (r, d_in)
      const b = (await x.b.data()) as Float32Array; // (d_out, r)
      tensors.push({ name: peftTensorName(module, 'lora_A'), shape: [r, dIn], data: a });
      tensors.push({ name: peftTensorName(module, 'lora_B'), shape: [dOut, r], data: b });
    }
    return writeAdapterFolder(folder, tensors, adapterConfig(this.description(), baseModel));
  }

  /** Removes the hooks if still attached and frees A and B. */
  dispose(): void {
    if (this.state === 'disposed') return;
    if (this.state === 'attached') this.model.setLinearHooks(null);
    for (const v of this.variables.values()) v.dispose();
    this.state = 'disposed';
  }

  private description(): AdapterDescription {
    const { rank, alpha, omega, bound, seed } = this.options;
    return { spec: this.model.spec, targets: this.targets, rank, alpha, omega, bound, seed };
  }

  /**
   * The hook: x · (W₀ + ΔW) for a target (null for any other weight, which keeps the plain
   * product), with a hand-written gradient that keeps only x, A and B. Neither the effective
   * weight nor its gradient outlives one projection: the backward pass recomputes B·A, W₀ + ΔW
   * and f′(ω·B·A) for one weight at a time, and reduces xᵀ·dy to dA and dB at once. Letting
   * tfjs differentiate the product kept every adapted weight's W₀ + ΔW for the backward pass
   * and made a full-size gradient for the frozen W₀ (21 B per adapted element at 0.5B,
   * bench/RESULTS.md). W₀ is not an input: it gets no gradient.
   */
  private projected(name: string, input: tf.Tensor2D, base: tf.Tensor2D): tf.Tensor2D | null {
    const x = this.adapters.get(name);
    if (!x) return null;
    const { bound, omega } = this.options;
    const fused = fusedLayersAvailable(); // one native pass for W₀ + ΔW and f′ (native/bounded.c)
    const attrs = { bound, omega, scale: x.scale };
    const product = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [xs, a, b] = args as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
      const save = args[3] as tf.GradSaveFunc;
      save([xs, a, b]);
      return {
        value: tf.tidy(() => {
          const weight = fused
            ? runKernel(BOUNDED_WEIGHT, { m: tf.matMul(a, b, true, true), base }, attrs)
            : base.add(this.update(a, b, x.scale)); // (d_in, d_out)
          return tf.matMul(xs, weight as tf.Tensor2D); // (N, d_out)
        }),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [xs0, as, bs] = saved as [tf.Tensor2D, tf.Tensor2D, tf.Tensor2D];
          return tf.tidy(() => {
            const m: tf.Tensor2D = tf.matMul(as, bs, true, true); // (d_in, d_out) = (B·A)ᵀ
            const dW: tf.Tensor2D = tf.matMul(xs0, dy as tf.Tensor2D, true, false); // (d_in, d_out)
            const [weight, dProduct] = fused
              ? (runKernel(BOUNDED_GRAD, { m, base, dw: dW }, attrs) as [tf.Tensor2D, tf.Tensor2D])
              : this.composedGrad(m, base, dW, x.scale); // W₀ + ΔW, dL/dM: (d_in, d_out)
            const dx = tf.matMul(dy as tf.Tensor2D, weight, false, true); // (N, d_in)
            const dA = tf.matMul(bs, dProduct, true, true); // (r, d_in)
            const dB = tf.matMul(dProduct, as, true, true); // (d_out, r)
            return [dx, dA, dB];
          });
        },
      };
    });
    return product(input, x.a, x.b) as tf.Tensor2D;
  }

  /**
   * The tfjs composition of NepentheBoundedGrad: W₀ + scale·f(ωM) and dL/dM = dW·f′(ωM)·scale·ω
   * (none: dW·scale), for M = (B·A)ᵀ. Not tidied: the caller is inside a tidy.
   */
  private composedGrad(
    m: tf.Tensor2D,
    base: tf.Tensor2D,
    dW: tf.Tensor2D,
    scale: number,
  ): [tf.Tensor2D, tf.Tensor2D] {
    const { bound, omega } = this.options;
    if (bound === 'none') return [base.add(m.mul(scale)), dW.mul(scale)];
    const angle = m.mul(omega); // (d_in, d_out)
    const f = bound === 'sine' ? tf.sin(angle) : tf.tanh(angle);
    const slope = bound === 'sine' ? tf.cos(angle) : tf.sub(1, tf.square(f)); // f′(ωM)
    return [base.add(f.mul(scale)), dW.mul(slope).mul(scale * omega)];
  }

  /**
   * ΔW = scale · f(ω·(B·A)ᵀ), [in, out]. Not tidied: callers are inside a tidy. With the native
   * kernels, NepentheBoundedWeight over a zero base (the per-step norms call this for every
   * adapted weight: tfjs-cpu's Sin took seconds a step at 0.5B).
   */
  private update(a: tf.Tensor2D, b: tf.Tensor2D, scale: number): tf.Tensor2D {
    const { bound, omega } = this.options;
    const product = tf.matMul(a, b, true, true); // (d_in, d_out) = Aᵀ·Bᵀ = (B·A)ᵀ
    if (fusedLayersAvailable())
      return runKernel(
        BOUNDED_WEIGHT,
        { m: product, base: tf.zerosLike(product) },
        { bound, omega, scale },
      ) as tf.Tensor2D; // (d_in, d_out)
    if (bound === 'none') return product.mul(scale); // (d_in, d_out)
    const angle = product.mul(omega); // (d_in, d_out)
    const bounded = bound === 'sine' ? tf.sin(angle) : tf.tanh(angle); // (d_in, d_out), in [−1, 1]
    return bounded.mul(scale); // (d_in, d_out)
  }

  private adapter(weight: string): Adapter {
    const x = this.adapters.get(weight);
    if (!x) {
      throw new Error(
        `no LoRA adapter on ${weight}; adapted: ${[...this.adapters.keys()].join(', ')}`,
      );
    }
    return x;
  }

  private alive(): void {
    if (this.state === 'disposed') throw new Error('LoRA adapters already disposed');
  }

  private requireAttached(action: string): void {
    if (this.state !== 'attached')
      throw new Error(`cannot ${action} LoRA adapters that are ${this.state}`);
  }
}

const runKernel = (name: string, inputs: tf.NamedTensorMap, attrs: object) =>
  tf.engine().runKernel(name, inputs, attrs as tf.NamedAttrMap) as tf.Tensor | tf.Tensor[];

/**
 * PEFT's `kaiming_uniform_(lora_A, a=√5)`: gain √(2/(1+5)), bound = gain·√3/√fan_in =
 * 1/√d_in, so A ~ U(−1/√d_in, 1/√d_in). Drawn in JS (mulberry32, one stream per target) so a
 * seed gives the same A on every backend.
 */
function kaimingUniformA(rank: number, dIn: number, seed: number, index: number): tf.Tensor2D {
  const random = mulberry32((seed ^ Math.imul(index + 1, 0x9e3779b9)) >>> 0);
  const limit = 1 / Math.sqrt(dIn);
  const data = new Float32Array(rank * dIn);
  for (let i = 0; i < data.length; i++) data[i] = (2 * random() - 1) * limit;
  return tf.tensor2d(data, [rank, dIn]); // (r, d_in)
}
