/**
 * The wasm backend must train a transformer exactly as the cpu reference does. This file is the
 * probe that found which kernels wasm lacks (only UnsortedSegmentSum, for the gather gradient):
 * every op GPT-2 and Llama use, forward and backward, on both backends, values and gradients
 * compared. A kernel missing on wasm fails here with "Kernel 'X' not registered".
 */
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import { WASM_KERNEL_NAMES } from '../../src/worker/engine/wasm-kernels/index.ts';
import { floats, relativeError, valueAndGrads } from './compare.ts';

type Input = { data: Float32Array; shape: number[] };
const input = (shape: number[], seed: number, scale = 1): Input => ({
  data: floats(
    shape.reduce((a, b) => a * b, 1),
    seed,
    scale,
  ),
  shape,
});

/** Runs `f` on cpu and on wasm and expects the same value and gradients. */
async function expectSameOnWasm(
  f: (...xs: tf.Tensor[]) => tf.Scalar,
  inputs: Input[],
  tolerance = 1e-5,
) {
  await tf.setBackend('cpu');
  const reference = await valueAndGrads(f, inputs);
  await tf.setBackend('wasm');
  const actual = await valueAndGrads(f, inputs);
  // Relative to max(|value|, 1): a sum that cancels to near zero has no relative precision.
  expect(
    Math.abs(actual.value - reference.value) / Math.max(Math.abs(reference.value), 1),
  ).toBeLessThan(tolerance);
  reference.grads.forEach((g, i) =>
    expect(relativeError(g, actual.grads[i]!), `gradient ${i}`).toBeLessThan(tolerance),
  );
}

beforeAll(async () => {
  await selectBackend('wasm'); // registers our kernels
});

describe('UnsortedSegmentSum on wasm', () => {
  it('is registered', () => {
    expect(WASM_KERNEL_NAMES).toContain('UnsortedSegmentSum');
    expect(tf.getKernel('UnsortedSegmentSum', 'wasm')).toBeDefined();
  });

  it('sums rows by segment as the cpu backend does, value and gradient', async () => {
    const ids = [3, 0, 3, 2, 1, 1, 0];
    const weights = tf.range(1, 61).reshape([4, 3, 5]);
    const f = (x: tf.Tensor) =>
      tf.unsortedSegmentSum(x, tf.tensor1d(ids, 'int32'), 4).mul(weights).sum() as tf.Scalar;
    await expectSameOnWasm(f, [input([7, 3, 5], 1)]);
  });

  it('drops ids outside [0, numSegments), as the cpu backend does', async () => {
    const run = async () => {
      const x = tf.tensor2d([
        [1, 2],
        [3, 4],
        [5, 6],
        [7, 8],
      ]);
      const out = tf.unsortedSegmentSum(x, tf.tensor1d([1, -1, 1, 7], 'int32'), 3);
      const result = { shape: out.shape, values: Array.from(await out.data()) };
      tf.dispose([x, out]);
      return result;
    };
    await tf.setBackend('cpu');
    const reference = await run();
    await tf.setBackend('wasm');
    expect(await run()).toEqual(reference);
    expect(reference).toEqual({ shape: [3, 2], values: [0, 0, 6, 8, 0, 0] });
  });

  it('keeps int32 and takes segment ids that prefix the shape (TensorFlow semantics)', async () => {
    await tf.setBackend('wasm');
    const x = tf.tensor3d(
      [
        [
          [1, 2],
          [3, 4],
        ],
        [
          [5, 6],
          [7, 8],
        ],
      ],
      undefined,
      'int32',
    );
    // The op's type says 1-D ids; the kernel, like TensorFlow's, takes any prefix of x's shape.
    const ids = tf.tensor2d([0, 2, 2, 0], [2, 2], 'int32') as unknown as tf.Tensor1D;
    const out = tf.unsortedSegmentSum(x, ids, 3);
    expect(out.dtype).toBe('int32');
    expect(out.shape).toEqual([3, 2]);
    expect(Array.from(await out.data())).toEqual([8, 10, 0, 0, 8, 10]);
    tf.dispose([x, ids, out]);
  });
});

describe('gather gradient (the embedding backward pass) on wasm', () => {
  it('matches cpu for token ids with repeats', async () => {
    const ids = tf.tensor2d(
      [
        [1, 4, 4, 0, 9],
        [9, 9, 2, 1, 10],
      ],
      undefined,
      'int32',
    ); // (B, T)
    const w = tf.tensor(floats(2 * 5 * 6, 7), [2, 5, 6]);
    const f = (wte: tf.Tensor) => tf.gather(wte, ids).mul(w).sum() as tf.Scalar;
    await expectSameOnWasm(f, [input([11, 6], 2)]);
  });

  it('matches cpu along an inner axis', async () => {
    const f = (x: tf.Tensor) =>
      tf
        .gather(x, tf.tensor1d([2, 0, 2], 'int32'), 1)
        .square()
        .sum() as tf.Scalar;
    await expectSameOnWasm(f, [input([3, 4, 5], 3)]);
  });
});

/** Single ops of GPT-2 and Llama training, each checked forward and backward. */
const OPS: [string, (x: tf.Tensor) => tf.Tensor][] = [
  ['softmax', (x) => tf.softmax(x).mul(x)],
  ['logSoftmax', (x) => tf.logSoftmax(x).mul(x)],
  ['logSumExp', (x) => tf.logSumExp(x, -1)],
  ['erf (exact GELU)', (x) => x.mul(0.5).mul(tf.erf(x.div(Math.SQRT2)).add(1))],
  ['tanh', (x) => tf.tanh(x).mul(x)],
  ['rsqrt', (x) => tf.rsqrt(x.square().add(1))],
  ['sqrt', (x) => tf.sqrt(x.square().add(1)).mul(x)],
  ['pow (tensor exponent)', (x) => tf.pow(x.abs().add(1), tf.scalar(2.5))],
  ['pow (cube)', (x) => tf.pow(x, 3)],
  ['sigmoid / SiLU', (x) => x.mul(tf.sigmoid(x)).mul(x)],
  ['exp, log', (x) => tf.log(tf.exp(x).add(1))],
  ['moments', (x) => tf.moments(x, -1, true).variance.mul(tf.moments(x, -1, true).mean)],
  ['max', (x) => tf.max(x, -1)],
  ['maximum / minimum', (x) => tf.maximum(x, 0.1).add(tf.minimum(x, -0.2))],
  ['clipByValue', (x) => tf.clipByValue(x, -0.5, 0.5).mul(x)],
  ['abs', (x) => tf.abs(x)],
  ['cos, sin (RoPE)', (x) => tf.cos(x).mul(tf.sin(x.mul(2)))],
  [
    'concat, slice, neg (rotate half)',
    (x) =>
      tf
        .concat([x.slice([0, 0, 2], [-1, -1, 2]).neg(), x.slice([0, 0, 0], [-1, -1, 2])], -1)
        .mul(x),
  ],
  [
    'transpose, reshape',
    (x) =>
      tf
        .transpose(x.reshape([2, 3, 2, 2]), [0, 2, 1, 3])
        .mul(tf.range(0, 24).reshape([2, 2, 3, 2])),
  ],
  [
    'tile, broadcastTo (GQA)',
    (x) =>
      tf
        .tile(x, [1, 2, 1]) // (2, 6, 4)
        .mul(tf.range(0, 48).reshape([2, 6, 4]))
        .sum(1, true)
        .add(tf.broadcastTo(x.slice([0, 0, 0], [1, -1, -1]), [2, 3, 4])),
  ],
  [
    'split',
    (x) => {
      const [a, b] = tf.split(x, 2, -1);
      return a!.mul(b!);
    },
  ],
  [
    'where with a constant mask',
    (x) =>
      tf
        .where(
          tf.linalg
            .bandPart(tf.ones([3, 4]), -1, 0)
            .cast('bool')
            .expandDims(0)
            .tile([2, 1, 1]),
          x,
          tf.fill([2, 3, 4], -1e9),
        )
        .softmax(),
  ],
  ['batched matMul', (x) => tf.matMul(x, x, false, true).square()],
  ['squaredDifference', (x) => tf.squaredDifference(x, x.mul(0.3).add(1))],
  ['div', (x) => tf.div(x, x.square().add(1))],
  [
    'mean, sum with keepDims',
    (x) =>
      tf
        .mean(x, 0)
        .square()
        .add(tf.sum(x, [0, 2], true).square().sum()),
  ],
  [
    'softmaxCrossEntropy',
    (x) =>
      tf.losses.softmaxCrossEntropy(
        tf.oneHot(tf.tensor1d([1, 2, 0, 3, 1, 2], 'int32'), 4),
        x.reshape([6, 4]),
      ),
  ],
];

describe('transformer ops on wasm match cpu, value and gradient', () => {
  it.each(OPS)('%s', async (_name, op) => {
    await expectSameOnWasm((x) => op(x).sum() as tf.Scalar, [input([2, 3, 4], 11)]);
  });
});

/** Batch, sequence, width, heads, head size, vocabulary. */
const [B, T, C, H, V] = [2, 5, 8, 2, 13];
const D = C / H;

function layerNorm(x: tf.Tensor, g: tf.Tensor, b: tf.Tensor): tf.Tensor {
  const { mean, variance } = tf.moments(x, -1, true);
  return x
    .sub(mean)
    .mul(tf.rsqrt(variance.add(1e-5)))
    .mul(g)
    .add(b);
}

/** Causal self-attention over (B, nh, T, hs) heads. */
function attend(q: tf.Tensor, k: tf.Tensor, v: tf.Tensor): tf.Tensor {
  const mask = tf.linalg.bandPart(tf.ones([T, T]), -1, 0); // (T, T) lower triangle
  const att = q
    .matMul(k, false, true)
    .mul(1 / Math.sqrt(D))
    .add(tf.sub(1, mask).mul(-1e9)); // (B, nh, T, T)
  return tf.softmax(att).matMul(v); // (B, nh, T, hs)
}

/** Cross-entropy of next-token logits from a tied embedding. */
function lmLoss(x: tf.Tensor, wte: tf.Tensor, targets: tf.Tensor): tf.Scalar {
  const logits = x.reshape([B * T, C]).matMul(wte, false, true); // (B·T, V)
  return tf
    .logSoftmax(logits)
    .mul(tf.oneHot(targets, V))
    .sum()
    .neg()
    .div(B * T) as tf.Scalar;
}

const ids = () =>
  tf.tensor2d(
    [
      [1, 4, 4, 0, 9],
      [9, 12, 2, 1, 10],
    ],
    undefined,
    'int32',
  ); // (B, T)
const targets = () => tf.tensor1d([4, 4, 0, 9, 3, 12, 2, 1, 10, 7], 'int32'); // (B·T)

/** One GPT-2 block (pre-LN, GELU tanh approximation) between embedding and tied LM head. */
function gpt2Loss(
  wte: tf.Tensor,
  wpe: tf.Tensor,
  g: tf.Tensor,
  b: tf.Tensor,
  wAttn: tf.Tensor,
  bAttn: tf.Tensor,
  wProj: tf.Tensor,
  wFc: tf.Tensor,
  wOut: tf.Tensor,
): tf.Scalar {
  let x = tf.gather(wte, ids()).add(wpe); // (B, T, C)
  const qkv = layerNorm(x, g, b)
    .reshape([B * T, C])
    .matMul(wAttn)
    .add(bAttn); // (B·T, 3C)
  const [q, k, v] = tf.split(qkv.reshape([B, T, 3, H, D]).transpose([2, 0, 3, 1, 4]), 3); // 3 × (1, B, nh, T, hs)
  const y = attend(q!.squeeze([0]), k!.squeeze([0]), v!.squeeze([0]))
    .transpose([0, 2, 1, 3])
    .reshape([B * T, C]);
  x = x.add(y.matMul(wProj).reshape([B, T, C]));
  const h = layerNorm(x, g, b)
    .reshape([B * T, C])
    .matMul(wFc); // (B·T, 4C)
  const gelu = h
    .mul(0.5)
    .mul(tf.tanh(h.add(h.pow(3).mul(0.044715)).mul(Math.sqrt(2 / Math.PI))).add(1));
  x = x.add(gelu.matMul(wOut).reshape([B, T, C]));
  return lmLoss(layerNorm(x, g, b), wte, targets());
}

const KV = 1; // grouped-query attention: 2 query heads share 1 key/value head

function rmsNorm(x: tf.Tensor, g: tf.Tensor): tf.Tensor {
  return x.mul(tf.rsqrt(x.square().mean(-1, true).add(1e-6))).mul(g);
}

/** Rotary embedding on (B, nh, T, hs), rotate-half layout as in HF Llama. */
function rope(x: tf.Tensor): tf.Tensor {
  const inv = tf.pow(10000, tf.range(0, D, 2).div(-D)); // (hs/2)
  const angles = tf.range(0, T).expandDims(1).mul(inv.expandDims(0)); // (T, hs/2)
  const emb = tf.concat([angles, angles], -1); // (T, hs)
  const [x1, x2] = tf.split(x, 2, -1);
  return x.mul(tf.cos(emb)).add(tf.concat([x2!.neg(), x1!], -1).mul(tf.sin(emb)));
}

/** One Llama block (RMSNorm, RoPE, GQA, SwiGLU) between embedding and tied LM head. */
function llamaLoss(
  wte: tf.Tensor,
  g: tf.Tensor,
  wq: tf.Tensor,
  wkv: tf.Tensor,
  wo: tf.Tensor,
  wGate: tf.Tensor,
  wUp: tf.Tensor,
  wDown: tf.Tensor,
): tf.Scalar {
  let x = tf.gather(wte, ids()); // (B, T, C)
  const h = rmsNorm(x, g).reshape([B * T, C]);
  const q = rope(h.matMul(wq).reshape([B, T, H, D]).transpose([0, 2, 1, 3])); // (B, nh, T, hs)
  const [k, v] = tf.split(
    h
      .matMul(wkv)
      .reshape([B, T, 2 * KV, D])
      .transpose([0, 2, 1, 3]),
    2,
    1,
  ); // 2 × (B, kv, T, hs)
  const repeat = (t: tf.Tensor) => tf.gather(t, tf.tensor1d([0, 0], 'int32'), 1); // (B, nh, T, hs)
  const y = attend(q, repeat(rope(k!)), repeat(v!))
    .transpose([0, 2, 1, 3])
    .reshape([B * T, C]);
  x = x.add(y.matMul(wo).reshape([B, T, C]));
  const n = rmsNorm(x, g).reshape([B * T, C]);
  const gate = n.matMul(wGate);
  const mlp = gate.mul(tf.sigmoid(gate)).mul(n.matMul(wUp)).matMul(wDown); // SwiGLU
  x = x.add(mlp.reshape([B, T, C]));
  return lmLoss(rmsNorm(x, g), wte, targets());
}

describe('whole transformer blocks on wasm match cpu, loss and every parameter gradient', () => {
  it('GPT-2 block', async () => {
    const params = [
      input([V, C], 21, 0.5),
      input([T, C], 22, 0.1),
      input([C], 23, 1),
      input([C], 24, 0.1),
      input([C, 3 * C], 25, 0.3),
      input([3 * C], 26, 0.1),
      input([C, C], 27, 0.3),
      input([C, 4 * C], 28, 0.3),
      input([4 * C, C], 29, 0.3),
    ];
    await expectSameOnWasm(gpt2Loss as (...xs: tf.Tensor[]) => tf.Scalar, params, 1e-4);
  });

  it('Llama block', async () => {
    const params = [
      input([V, C], 31, 0.5),
      input([C], 32, 1),
      input([C, C], 33, 0.3),
      input([C, 2 * KV * D], 34, 0.3),
      input([C, C], 35, 0.3),
      input([C, 3 * C], 36, 0.3),
      input([C, 3 * C], 37, 0.3),
      input([3 * C, C], 38, 0.3),
    ];
    await expectSameOnWasm(llamaLoss as (...xs: tf.Tensor[]) => tf.Scalar, params, 1e-4);
  });
});
