/**
 * The LM head and softmax cross-entropy as one chunked kernel pair, so that a train step never
 * holds a [tokens × vocabulary] tensor (152k vocabulary × 512 tokens: 311 MB for the logits alone,
 * and tfjs keeps the logits, the softmax and their gradient). Rows are taken `chunkRows` at a
 * time: logits of the chunk (one BLAS product), per-row cross-entropy, and in the backward pass
 * the same logits recomputed, their gradient, and the two products into dh and into dW — dW
 * accumulated in place across chunks (beta = 1), never a second vocabulary-sized buffer.
 *
 *   NepentheHeadXent     h (N, C), weight (V, C) tied | (C, V) untied, targets (N, int32);
 *                        attr tied → loss (N) = logsumexp(h·Wᵀ) − (h·Wᵀ)[t]
 *   NepentheHeadXentGrad h, weight, targets, dy (N); attr tied → dh (N, C), dWeight (weight's shape)
 *   NepentheHeadStats    h, weight, targets; attr tied → (N, 4): log p(target), argmax = target,
 *                        μ = Σ p log p, σ (native/token-stats.c) — the evaluation's per-token
 *                        statistics, no gradient
 *
 * Same arithmetic as the head product followed by NepentheSoftmaxXent (native-layers.ts),
 * checked against PyTorch by the golden tests.
 */
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';
import { kernelMemory, type KernelMemory } from '../native/memory.ts';
import { nativeAddon } from './native-active.ts';
import type { NativeAddon } from '../native/addon.ts';

export const HEAD_XENT = 'NepentheHeadXent';
export const HEAD_XENT_GRAD = 'NepentheHeadXentGrad';
export const HEAD_STATS = 'NepentheHeadStats';

/** Logits per chunk at most this many bytes (a few rows at a 150k vocabulary). */
const CHUNK_BYTES = 128 * 2 ** 20;

/** Rows per chunk for a vocabulary and a token count. */
export function headChunkRows(vocab: number, tokens: number): number {
  return Math.max(1, Math.min(tokens, Math.floor(CHUNK_BYTES / (4 * Math.max(vocab, 1)))));
}

interface Shapes {
  readonly n: number;
  readonly c: number;
  readonly v: number;
  readonly rows: number;
}

function shapesOf(
  name: string,
  h: TensorInfo,
  weight: TensorInfo,
  targets: TensorInfo,
  tied: boolean,
): Shapes {
  const [n, c] = h.shape as [number, number];
  const [w0, w1] = weight.shape as [number, number];
  const v = tied ? w0 : w1;
  if (h.shape.length !== 2 || weight.shape.length !== 2 || (tied ? w1 : w0) !== c)
    throw new Error(`${name}: h [${h.shape}] and weight [${weight.shape}] do not match`);
  if (targets.dtype !== 'int32' || targets.shape.length !== 1 || targets.shape[0] !== n)
    throw new Error(`${name}: targets [${targets.shape}] must be int32 of length ${n}`);
  if (h.dtype !== 'float32' || weight.dtype !== 'float32')
    throw new Error(`${name}: h and weight must be float32`);
  return { n, c, v, rows: headChunkRows(v, n) };
}

/** What every head kernel starts from: the addon, its memory, the inputs and their shapes. */
function headCall(name: string, args: Parameters<KernelFunc>[0]) {
  const addon = nativeAddon();
  if (addon === null) throw new Error(`${name}: the native kernels are not active`);
  const { h, weight, targets } = args.inputs as Record<'h' | 'weight' | 'targets', TensorInfo>;
  const tied = (args.attrs as { tied: boolean }).tied;
  const s = shapesOf(name, h, weight, targets, tied);
  return { addon, mem: kernelMemory(args.backend), h, weight, targets, tied, s };
}

/** z (rows, V) = h rows [r0, r0+rows) · W (tied: Wᵀ). */
function chunkLogits(
  addon: NativeAddon,
  mem: KernelMemory,
  h: TensorInfo,
  weight: TensorInfo,
  z: TensorInfo,
  s: Shapes,
  r0: number,
  rows: number,
  tied: boolean,
): void {
  const offsets = Float64Array.of(mem.at(h) + r0 * s.c * 4, mem.at(weight), mem.at(z));
  addon.gemm(mem.heap(), false, tied, rows, s.v, s.c, offsets, 1, 0);
}

function forward(name: string): KernelFunc {
  return (args) => {
    const { addon, mem, h, weight, targets, tied, s } = headCall(name, args);
    const loss = mem.output([s.n], 'float32');
    if (s.n === 0 || s.v === 0) return loss;
    const z = mem.output([s.rows, s.v], 'float32');
    const e = mem.output([s.rows, s.v], 'float32');
    const sums = mem.output([s.rows], 'float32');
    try {
      for (let r0 = 0; r0 < s.n; r0 += s.rows) {
        const rows = Math.min(s.rows, s.n - r0);
        chunkLogits(addon, mem, h, weight, z, s, r0, rows, tied);
        addon.xentForward(
          mem.heap(),
          mem.at(z),
          mem.at(targets) + r0 * 4,
          mem.at(loss) + r0 * 4,
          mem.at(e),
          mem.at(sums),
          rows,
          s.v,
        );
      }
    } catch (error) {
      mem.dispose(loss);
      throw error;
    } finally {
      for (const t of [z, e, sums]) mem.dispose(t);
    }
    return loss;
  };
}

function backward(name: string): KernelFunc {
  return (args) => {
    const { addon, mem, h, weight, targets, tied, s } = headCall(name, args);
    const dy = (args.inputs as { dy: TensorInfo }).dy;
    if (dy.shape.length !== 1 || dy.shape[0] !== s.n)
      throw new Error(`${name}: dy [${dy.shape}] must have length ${s.n}`);
    const dh = mem.output([s.n, s.c], 'float32');
    const dw = mem.output([...weight.shape], 'float32');
    if (s.n === 0 || s.v === 0 || s.c === 0) return [dh, dw];
    const z = mem.output([s.rows, s.v], 'float32');
    const e = mem.output([s.rows, s.v], 'float32');
    const sums = mem.output([s.rows], 'float32');
    const loss = mem.output([s.rows], 'float32');
    try {
      for (let r0 = 0; r0 < s.n; r0 += s.rows) {
        const rows = Math.min(s.rows, s.n - r0);
        chunkLogits(addon, mem, h, weight, z, s, r0, rows, tied);
        const targetsAt = mem.at(targets) + r0 * 4;
        addon.xentForward(
          mem.heap(),
          mem.at(z),
          targetsAt,
          mem.at(loss),
          mem.at(e),
          mem.at(sums),
          rows,
          s.v,
        );
        // dz (rows, V) into z's buffer: the logits are not needed any more.
        addon.xentBackward(
          mem.heap(),
          mem.at(e),
          mem.at(sums),
          targetsAt,
          mem.at(dy) + r0 * 4,
          mem.at(z),
          rows,
          s.v,
        );
        const hAt = mem.at(h) + r0 * s.c * 4;
        // dh rows = dz · W (tied) or dz · Wᵀ (untied, W is (C, V)).
        addon.gemm(
          mem.heap(),
          false,
          !tied,
          rows,
          s.c,
          s.v,
          Float64Array.of(mem.at(z), mem.at(weight), mem.at(dh) + r0 * s.c * 4),
          1,
          0,
        );
        // dW += dzᵀ · h (tied, (V, C)) or hᵀ · dz (untied, (C, V)); the first chunk starts it.
        const beta = r0 === 0 ? 0 : 1;
        if (tied)
          addon.gemm(
            mem.heap(),
            true,
            false,
            s.v,
            s.c,
            rows,
            Float64Array.of(mem.at(z), hAt, mem.at(dw)),
            1,
            beta,
          );
        else
          addon.gemm(
            mem.heap(),
            true,
            false,
            s.c,
            s.v,
            rows,
            Float64Array.of(hAt, mem.at(z), mem.at(dw)),
            1,
            beta,
          );
      }
    } catch (error) {
      mem.dispose(dh);
      mem.dispose(dw);
      throw error;
    } finally {
      for (const t of [z, e, sums, loss]) mem.dispose(t);
    }
    return [dh, dw];
  };
}

/** (N, 4) next-token statistics, one chunk of logits at a time. */
function stats(name: string): KernelFunc {
  return (args) => {
    const { addon, mem, h, weight, targets, tied, s } = headCall(name, args);
    const out = mem.output([s.n, 4], 'float32');
    if (s.n === 0 || s.v === 0) return out;
    const z = mem.output([s.rows, s.v], 'float32');
    try {
      for (let r0 = 0; r0 < s.n; r0 += s.rows) {
        const rows = Math.min(s.rows, s.n - r0);
        chunkLogits(addon, mem, h, weight, z, s, r0, rows, tied);
        addon.tokenStats(
          mem.heap(),
          mem.at(z),
          mem.at(targets) + r0 * 4,
          mem.at(out) + r0 * 16,
          rows,
          s.v,
        );
      }
    } catch (error) {
      mem.dispose(out);
      throw error;
    } finally {
      mem.dispose(z);
    }
    return out;
  };
}

export const nativeHeadKernels: readonly KernelConfig[] = [
  { kernelName: HEAD_STATS, backendName: 'wasm', kernelFunc: stats(HEAD_STATS) },
  { kernelName: HEAD_XENT, backendName: 'wasm', kernelFunc: forward(HEAD_XENT) },
  { kernelName: HEAD_XENT_GRAD, backendName: 'wasm', kernelFunc: backward(HEAD_XENT_GRAD) },
];
