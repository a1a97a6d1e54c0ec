/**
 * AdamW (Loshchilov & Hutter 2019, "Decoupled Weight Decay Regularization", Alg. 2), with the
 * same update order and defaults as torch.optim.AdamW: decay first, then the bias-corrected
 * Adam step. tfjs ships Adam only (its L2 penalty is not decoupled), hence this module.
 */
import * as tf from '@tensorflow/tfjs';
import { nativeKernelsActive } from '../../engine/wasm-kernels/native-active.ts';
import { NATIVE_ADAMW } from '../../engine/wasm-kernels/native-adamw.ts';

export interface AdamWOptions {
  readonly lr: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  readonly weightDecay?: number;
}

export class AdamW {
  private readonly m = new Map<string, tf.Variable>();
  private readonly v = new Map<string, tf.Variable>();
  private t = 0;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
  readonly weightDecay: number;
  lr: number;

  constructor(options: AdamWOptions) {
    this.lr = options.lr;
    this.beta1 = options.beta1 ?? 0.9;
    this.beta2 = options.beta2 ?? 0.999;
    this.eps = options.eps ?? 1e-8;
    this.weightDecay = options.weightDecay ?? 0.01;
  }

  get step(): number {
    return this.t;
  }

  /** Forgets the moments and the step count, as a fresh optimizer (after restored parameters). */
  reset(): void {
    for (const v of [...this.m.values(), ...this.v.values()]) v.dispose();
    this.m.clear();
    this.v.clear();
    this.t = 0;
  }

  /**
   * Applies one update to `params` from `grads` (same keys), each gradient multiplied by `scale`
   * first (the global-norm clip factor, clip.ts `clipScale`; 1 leaves them as they are). Grads
   * are not disposed.
   */
  apply(
    params: ReadonlyMap<string, tf.Variable>,
    grads: ReadonlyMap<string, tf.Tensor>,
    scale = 1,
  ): void {
    this.t += 1;
    const { beta1: b1, beta2: b2, eps, lr, weightDecay: wd } = this;
    const correction1 = 1 - b1 ** this.t;
    const correction2 = 1 - b2 ** this.t;
    // On wasm with the native kernels, one fused pass per parameter (same float32 arithmetic).
    const native = nativeKernelsActive();
    const constants = [
      b1,
      1 - b1,
      b2,
      1 - b2,
      correction1,
      correction2,
      eps,
      lr,
      1 - lr * wd,
      scale,
    ];
    for (const [name, rawGrad] of grads) {
      const param = params.get(name);
      if (!param) throw new Error(`AdamW: gradient for unknown parameter "${name}"`);
      const m = this.slot(this.m, name, param);
      const v = this.slot(this.v, name, param);
      if (native) {
        tf.tidy(() => {
          const inputs = { param, grad: rawGrad, m, v };
          // In place where no other tensor shares the buffers (native backend): no outputs.
          const outs = tf
            .engine()
            .runKernel(NATIVE_ADAMW, inputs, { constants, inPlace: true } as never) as tf.Tensor[];
          if (outs.length === 0) return;
          const [pNext, mNext, vNext] = outs;
          m.assign(mNext!);
          v.assign(vNext!);
          param.assign(pNext!);
        });
        continue;
      }
      tf.tidy(() => {
        const grad = scale === 1 ? rawGrad : rawGrad.mul(scale);
        const mNext = m.mul(b1).add(grad.mul(1 - b1));
        const vNext = v.mul(b2).add(grad.square().mul(1 - b2));
        m.assign(mNext);
        v.assign(vNext);
        const update = mNext.div(correction1).div(vNext.div(correction2).sqrt().add(eps)).mul(lr);
        const decayed = wd === 0 ? param : param.mul(1 - lr * wd);
        param.assign(decayed.sub(update));
      });
    }
  }

  /** The moments and step count, for checkpoints (the tensors stay owned by the optimizer). */
  exportState(): {
    step: number;
    m: ReadonlyMap<string, tf.Variable>;
    v: ReadonlyMap<string, tf.Variable>;
  } {
    return { step: this.t, m: this.m, v: this.v };
  }

  /** Restores moments (copied) and the step count from a checkpoint. */
  importState(
    step: number,
    m: ReadonlyMap<string, tf.Tensor>,
    v: ReadonlyMap<string, tf.Tensor>,
  ): void {
    this.dispose();
    this.t = step;
    for (const [store, source] of [
      [this.m, m],
      [this.v, v],
    ] as const) {
      for (const [name, value] of source) store.set(name, tf.variable(value, false)); // shares the data; the caller may dispose `value`
    }
  }

  private slot(store: Map<string, tf.Variable>, name: string, param: tf.Variable): tf.Variable {
    let slot = store.get(name);
    if (!slot) {
      const variableName = `${param.name}/adamw-${store === this.m ? 'm' : 'v'}`;
      // tidy frees the zeros tensor; the variable keeps the buffer (before, the zeros tensor was
      // never disposed and every run left two parameter-sized buffers behind).
      slot = tf.tidy(() => tf.variable(tf.zerosLike(param), false, variableName));
      store.set(name, slot);
    }
    return slot;
  }

  dispose(): void {
    for (const s of [...this.m.values(), ...this.v.values()]) s.dispose();
    this.m.clear();
    this.v.clear();
  }
}
