/**
 * Trains a causal LM from scratch on tokenized documents until it recites them: the testbed's
 * "memorized" model and its reference (DESIGN.md §7). Plain next-token NLL, minibatches of
 * whole documents (right-padded, padding masked out of the loss), a seeded shuffle per epoch,
 * global-norm clipping and AdamW (../../unlearn/optim) with a linear warmup; a fixed number of
 * epochs so the model and its reference see the same recipe.
 */
import * as tf from '@tensorflow/tfjs';
import type { CausalLM } from '../../model/architectures/types.ts';
import { AdamW } from '../../unlearn/optim/adamw.ts';
import { clipByGlobalNorm } from '../../unlearn/optim/clip.ts';
import { mulberry32 } from '../prng.ts';

export interface TrainOptions {
  readonly epochs: number;
  readonly batchSize: number;
  readonly lr: number;
  readonly warmupSteps: number;
  readonly clip: number;
  readonly seed: number;
  /** Called after each epoch with its mean training loss (nats/token). */
  readonly onEpoch?: (epoch: number, loss: number, steps: number) => void;
}

export interface TrainResult {
  readonly steps: number;
  readonly epochs: number;
  /** Mean loss over the last epoch's batches. */
  readonly finalLoss: number;
  readonly losses: readonly number[];
}

function seededOrder(n: number, rand: () => number): number[] {
  const order = [...Array(n).keys()];
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

/** One minibatch: ids right-padded with 0, mask 1 on real tokens. */
function batchTensors(docs: readonly (readonly number[])[]): [tf.Tensor2D, tf.Tensor2D] {
  const width = Math.max(...docs.map((d) => d.length));
  const ids = docs.flatMap((d) => [...d, ...new Array<number>(width - d.length).fill(0)]);
  const mask = docs.flatMap((d) => Array.from({ length: width }, (_, t) => (t < d.length ? 1 : 0)));
  return [
    tf.tensor2d(ids, [docs.length, width], 'int32'),
    tf.tensor2d(mask, [docs.length, width], 'float32'),
  ];
}

export async function trainToMemorize(
  model: CausalLM,
  documents: readonly (readonly number[])[],
  options: TrainOptions,
): Promise<TrainResult> {
  const rand = mulberry32(options.seed);
  const optimizer = new AdamW({ lr: options.lr, weightDecay: 0 });
  const variables = [...model.params.values()];
  const losses: number[] = [];
  let steps = 0;
  for (let epoch = 1; epoch <= options.epochs; epoch++) {
    const order = seededOrder(documents.length, rand);
    let sum = 0;
    let batches = 0;
    for (let start = 0; start < order.length; start += options.batchSize) {
      const docs = order.slice(start, start + options.batchSize).map((i) => documents[i]!);
      const [ids, mask] = batchTensors(docs);
      optimizer.lr = options.lr * Math.min(1, (steps + 1) / options.warmupSteps);
      const { value, grads } = tf.variableGrads(() => model.nll(ids, mask), variables);
      const byName = new Map([...model.params].map(([name, v]) => [name, grads[v.name]!]));
      const { norm, clipped } = clipByGlobalNorm(byName, options.clip);
      optimizer.apply(model.params, clipped);
      sum += (await value.data())[0]!;
      tf.dispose([ids, mask, value, norm, ...Object.values(grads), ...clipped.values()]);
      batches++;
      steps++;
    }
    losses.push(sum / batches);
    options.onEpoch?.(epoch, sum / batches, steps);
  }
  optimizer.dispose();
  return { steps, epochs: options.epochs, finalLoss: losses.at(-1) ?? NaN, losses };
}
