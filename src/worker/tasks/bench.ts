/**
 * `bench`: engine throughput on the exact shapes of the PyTorch peer
 * (../shared/peers/torch_peer.py), so the two can be compared as a ratio. A train step is one
 * GradDiff step: forward+backward on a forget batch (loss negated) and a retain batch, global
 * norm clipping to 1.0, AdamW (lr 1e-5, weight decay 0.01). Eval is a forward pass, no grads.
 * Random weights and token ids, float32.
 */
import * as tf from '@tensorflow/tfjs';
import type { BenchReport } from '../../shared/contracts.ts';
import { UserInputError } from '../../shared/errors.ts';
import { basename } from 'node:path';
import { createRandomModel } from '../model/architectures/index.ts';
import { loadModel } from '../model/load.ts';
import type { CausalLM } from '../model/architectures/types.ts';
import { loadModelSpec, type ModelSpec } from '../model/config.ts';
import { DEFAULT_CONFIG } from '../unlearn/config.ts';
import { checkpointsByDefault, wasmTensorBytes } from './preflight.ts';
import { AdamW } from '../unlearn/optim/adamw.ts';
import { clipScale } from '../unlearn/optim/clip.ts';
import type { Batch } from '../unlearn/batch.ts';
import { jointMeanNll } from '../unlearn/losses.ts';

export interface BenchShape {
  readonly layers: number;
  readonly embd: number;
  readonly heads: number;
  readonly vocab: number;
  readonly seq: number;
  readonly batch: number;
}

/** Same numbers as SHAPES in torch_peer.py. */
export const BENCH_SHAPES: Readonly<Record<string, BenchShape>> = {
  'cpu-small': { layers: 4, embd: 256, heads: 8, vocab: 8192, seq: 128, batch: 4 },
  'gpt2-124m': { layers: 12, embd: 768, heads: 12, vocab: 50257, seq: 256, batch: 4 },
};

export function benchSpec(shape: BenchShape): ModelSpec {
  return {
    modelType: 'gpt2',
    family: 'gpt2',
    vocabSize: shape.vocab,
    hidden: shape.embd,
    layers: shape.layers,
    heads: shape.heads,
    kvHeads: shape.heads,
    headDim: shape.embd / shape.heads,
    intermediate: 4 * shape.embd,
    maxPositions: shape.seq,
    normEps: 1e-5,
    tieWordEmbeddings: true,
    qkvBias: true,
    oBias: true,
    mlpBias: true,
    ropeTheta: 0,
    ropeScaling: null,
    bosTokenId: null,
    eosTokenId: null,
  };
}

export interface BenchOptions {
  readonly shape: string;
  /** A model folder: its real weights and shape instead of `shape`'s random GPT-2. */
  readonly model?: string;
  /** Rows per batch and tokens per row (default: the shape's). */
  readonly batch?: number;
  readonly seq?: number;
  readonly steps: number;
  /**
   * Gradient checkpointing in the train steps (TransformerLM.setCheckpointing); unset, as
   * `unlearn` would by default on this backend (preflight.ts checkpointsByDefault).
   */
  readonly checkpointing?: boolean;
  readonly seed: number;
  readonly backend: string;
  readonly onProgress?: (phase: string, done: number, total: number) => void;
}

export function requireBenchShape(name: string): BenchShape {
  const shape = BENCH_SHAPES[name];
  if (!shape)
    throw new UserInputError(
      undefined,
      `unknown --shape "${name}"; known: ${Object.keys(BENCH_SHAPES).join(', ')}`,
    );
  return shape;
}

/** The bench's GradDiff step's estimated tensors on wasm (auto's choice, engine/backend.ts). */
export function benchTensorBytes(
  options: Pick<BenchOptions, 'shape' | 'model' | 'batch' | 'seq'>,
): number {
  const named = requireBenchShape(options.shape);
  const spec = options.model === undefined ? benchSpec(named) : loadModelSpec(options.model);
  return wasmTensorBytes(spec, 'graddiff', {
    ...DEFAULT_CONFIG,
    batchSize: options.batch ?? named.batch,
    maxLength: Math.min(options.seq ?? named.seq, spec.maxPositions),
  });
}

export async function runBench(options: BenchOptions): Promise<BenchReport> {
  const named = requireBenchShape(options.shape);
  const model =
    options.model === undefined
      ? createRandomModel(benchSpec(named), options.seed)
      : loadModel(options.model).model;
  const shape = {
    vocab: model.spec.vocabSize,
    batch: options.batch ?? named.batch,
    seq: Math.min(options.seq ?? named.seq, model.spec.maxPositions),
  };
  const checkpointing =
    options.checkpointing ?? checkpointsByDefault('graddiff', options.backend === 'native');
  model.setCheckpointing(checkpointing);
  const optimizer = new AdamW({ lr: 1e-5, weightDecay: 0.01 });
  let seed = options.seed;
  const randomIds = (rows: number) =>
    tf.randomUniform([rows, shape.seq], 0, shape.vocab, 'int32', seed++) as tf.Tensor2D; // (rows, T)
  try {
    const step = () =>
      gradDiffStep(model, optimizer, randomIds(shape.batch), randomIds(shape.batch));
    await step(); // warm-up: kernel compilation, weight upload
    const trainStart = performance.now();
    for (let i = 0; i < options.steps; i++) {
      await step();
      options.onProgress?.('train', i + 1, options.steps);
    }
    const trainSeconds = (performance.now() - trainStart) / 1000;

    const evalIds = randomIds(2 * shape.batch);
    const forward = async () => {
      const logits = model.logits(evalIds);
      // Waits for the device by reading one value: the peer does not copy its logits out either.
      const last = logits.slice([0, 0, 0], [1, 1, 1]);
      await last.data();
      tf.dispose([logits, last]);
    };
    await forward();
    const evalStart = performance.now();
    for (let i = 0; i < options.steps; i++) {
      await forward();
      options.onProgress?.('eval', i + 1, options.steps);
    }
    const evalSeconds = (performance.now() - evalStart) / 1000;
    evalIds.dispose();
    return {
      backend: options.backend,
      shape: options.model === undefined ? options.shape : basename(options.model),
      trainTokensPerSecond: round1((options.steps * 2 * shape.batch * shape.seq) / trainSeconds),
      evalTokensPerSecond: round1((options.steps * 2 * shape.batch * shape.seq) / evalSeconds),
      peakRssBytes: process.resourceUsage().maxRSS * 1024,
      checkpointing,
    };
  } finally {
    optimizer.dispose();
    model.dispose();
  }
}

/** What one GradDiff step measured, before its update. */
export interface GradDiffStepResult {
  /** NLL(retain) − NLL(forget). */
  readonly loss: number;
  /** The global L2 norm of the gradients before clipping. */
  readonly gradNorm: number;
}

/** One GradDiff step as the trainer takes it: −NLL(forget) + NLL(retain), clip to 1.0, AdamW. */
export async function gradDiffStep(
  model: CausalLM,
  optimizer: AdamW,
  forget: tf.Tensor2D,
  retain: tf.Tensor2D,
  trainable: ReadonlyMap<string, tf.Variable> = model.params,
): Promise<GradDiffStepResult> {
  // The trainer's GradDiff loss: both NLLs from one forward pass over the two batches.
  const full = (ids: tf.Tensor2D): Batch => ({
    ids,
    mask: tf.ones(ids.shape, 'float32'),
    rows: [],
    tokens: ids.size,
  });
  const [forgetBatch, retainBatch] = [full(forget), full(retain)];
  const { value, grads } = tf.variableGrads(() => {
    const [forgetNll, retainNll] = jointMeanNll(model, forgetBatch, retainBatch);
    return tf.sub(retainNll, forgetNll) as tf.Scalar;
  }, [...trainable.values()]);
  tf.dispose([forgetBatch.mask, retainBatch.mask]);
  const byName = new Map([...trainable].map(([name, v]) => [name, grads[v.name]!]));
  const { norm, scale } = await clipScale(byName, 1.0); // as the trainer: clipped inside AdamW
  optimizer.apply(trainable, byName, scale);
  const loss = (await value.data())[0]!;
  tf.dispose([value, forget, retain, ...Object.values(grads)]);
  return { loss, gradNorm: norm };
}

const round1 = (x: number) => Math.round(x * 10) / 10;
