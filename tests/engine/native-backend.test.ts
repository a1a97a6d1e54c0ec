/**
 * The native CPU backend (src/worker/engine/native/backend.ts): tensors outside any wasm heap,
 * so more than 4 GB of them; its kernels on the addon, not tfjs-cpu's loops; addon-owned memory
 * freed on dispose; values read out survive the tensor; AdamW in place only where it is safe.
 */
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import { loadNativeAddon, type NativeAddon } from '../../src/worker/engine/native/addon.ts';
import { BufferPool, type NativeCpuBackend } from '../../src/worker/engine/native/backend.ts';
import { useNativeKernels } from '../../src/worker/engine/wasm-kernels/index.ts';
import { AdamW } from '../../src/worker/unlearn/optim/adamw.ts';
import { countNativeCalls } from '../helpers/native-addon.ts';

let addon: NativeAddon;

beforeAll(async () => {
  const status = loadNativeAddon(2);
  if (!status.ok) throw new Error(`the native backend needs the addon: ${status.reason}`);
  addon = status.addon;
  const selected = await selectBackend('native');
  expect(selected.name).toBe('native');
});

afterAll(async () => {
  await selectBackend('cpu');
});

describe('tensor memory beyond the wasm heap', () => {
  it('holds and computes on 5 GiB of live tensors (wasm stops at 4 GB)', () => {
    const quarter = 2 ** 28; // floats: 1 GiB per tensor
    const parts = [1, 2, 3, 4].map((v) => tf.fill([quarter], v));
    const total = parts.reduce((sum, p) => {
      const next = tf.add(sum, p);
      if (sum !== parts[0]) sum.dispose();
      return next;
    }); // 4 inputs + 1 result alive: 5 GiB
    const ends = tf.concat([total.slice([0], [2]), total.slice([quarter - 2], [2])]);
    expect(Array.from(ends.dataSync())).toEqual([10, 10, 10, 10]);
    tf.dispose([...parts, total, ends]);
  }, 120_000);
});

describe('kernels on the addon', () => {
  it('products, element-wise ops, row broadcasts and sums go native', () => {
    const counted = countNativeCalls();
    if (typeof counted === 'string') throw new Error(counted);
    useNativeKernels(counted.counting);
    try {
      tf.tidy(() => {
        const x = tf.randomNormal([2, 8, 3, 16], 0, 1, 'float32', 1);
        const cos = tf.randomNormal([1, 8, 1, 16], 0, 1, 'float32', 2);
        const w = tf.randomNormal([16, 16], 0, 1, 'float32', 3);
        const rotated = tf.mul(x, cos); // row broadcast
        const expected = tf.mul(tf.tile(cos, [2, 1, 3, 1]), x);
        expect(tf.max(tf.abs(tf.sub(rotated, expected))).dataSync()[0]).toBe(0);
        const y = tf.matMul(x.reshape([48, 16]), w).add(tf.ones([16])); // gemm, bias row
        y.sum(0).dataSync();
      });
    } finally {
      useNativeKernels(counted.real);
    }
    expect(counted.calls.get('gemm')).toBeGreaterThan(0);
    expect(counted.calls.get('binaryRows')).toBeGreaterThan(0);
    expect(counted.calls.get('binary')).toBeGreaterThan(0);
    expect(counted.calls.get('sum')).toBeGreaterThan(0);
  });

  it('casts to float32 and int32 give arrays of that type (tfjs-cpu shares a bool buffer)', () => {
    tf.tidy(() => {
      const mask = tf.tensor1d([1.5, 0, -2, 0]).notEqual(0); // bool
      const asFloat = mask.toFloat();
      expect(asFloat.mul(tf.tensor1d([2, 3, 4, 5])).arraySync()).toEqual([2, 0, 4, 0]);
      expect(tf.tensor1d([1.7, -2.7]).toInt().arraySync()).toEqual([1, -2]);
      expect(tf.tensor1d([3, 4], 'int32').toFloat().add(0.5).arraySync()).toEqual([3.5, 4.5]);
    });
  });

  it('matches tfjs-cpu on broadcasts the native paths take and the ones they leave', async () => {
    const cases: [number[], number[]][] = [
      [
        [4, 5],
        [4, 5],
      ],
      [[4, 5], []],
      [[], [4, 5]],
      [[3, 4, 5], [5]],
      [[5], [3, 4, 5]],
      [
        [2, 3, 4],
        [1, 3, 4],
      ],
      [
        [2, 3, 4],
        [2, 1, 4],
      ],
      [
        [2, 1, 4],
        [2, 3, 4],
      ],
      [
        [2, 3, 4],
        [2, 3, 1],
      ], // last axis broadcast: stock kernel
    ];
    const ops = [tf.add, tf.sub, tf.mul, tf.div] as const;
    for (const [sa, sb] of cases) {
      const a = tf.randomUniform(sa, 0.5, 2, 'float32', 4);
      const b = tf.randomUniform(sb, 0.5, 2, 'float32', 5);
      const av = await a.array();
      const bv = await b.array();
      for (const op of ops) {
        const got = op(a, b);
        await selectBackend('cpu');
        const ref = op(tf.tensor(av as number[]), tf.tensor(bv as number[]));
        const want = await ref.data();
        ref.dispose();
        await selectBackend('native');
        expect(got.shape).toEqual(ref.shape);
        expect(Array.from(await got.data())).toEqual(Array.from(want));
        got.dispose();
      }
      tf.dispose([a, b]);
    }
  });
});

describe('left-padded batched decoding', () => {
  it('each row as alone on the Qwen2 fixture, with every attention softmax on the addon', async () => {
    const { loadModel } = await import('../../src/worker/model/load.ts');
    const { greedyGenerate, greedyGenerateMany } =
      await import('../../src/worker/model/generate.ts');
    const { join } = await import('node:path');
    const { model } = loadModel(
      join(import.meta.dirname, '..', 'fixtures', 'golden', 'qwen2-tiny'),
    );
    try {
      const prompts = [[7, 42, 3, 19, 88, 5, 61], [3], [9, 14, 2]];
      const alone = [];
      for (const p of prompts) alone.push(await greedyGenerate(model, p, 6));
      const counted = countNativeCalls();
      if (typeof counted === 'string') throw new Error(counted);
      useNativeKernels(counted.counting);
      let many: number[][];
      try {
        many = await greedyGenerateMany(
          model,
          prompts.map((prompt) => ({ prompt, maxNewTokens: 6 })),
        );
      } finally {
        useNativeKernels(counted.real);
      }
      expect(many).toEqual(alone);
      // One softmax per layer and position: the (B, T, S) padded mask did not fall back to
      // tf.softmax in JavaScript (44 of 97 s of the 0.5B testbed's PII probes before).
      expect(counted.calls.get('maskedSoftmax')).toBe(model.spec.layers * 6);
    } finally {
      model.dispose();
    }
  });
});

describe('addon-owned memory', () => {
  it('release frees a buffer now and detaches it; only alloc buffers are accepted, once', () => {
    const buffer = addon.alloc(1 << 20);
    expect(new Uint8Array(buffer).every((b) => b === 0)).toBe(true);
    addon.release(buffer);
    expect(buffer.byteLength).toBe(0);
    expect(() => addon.release(buffer)).toThrow(TypeError);
    expect(() => addon.release(new ArrayBuffer(16))).toThrow(TypeError);
    expect(() => addon.alloc(-1)).toThrow(RangeError);
  });

  it('values read out of a tensor stay valid after the tensor is disposed', () => {
    const x = tf.tidy(() => tf.exp(tf.zeros([1000]))); // a native output
    const values = x.dataSync();
    x.dispose();
    expect(values.length).toBe(1000);
    expect(values[999]).toBe(1);
  });

  it('a disposed buffer is reused, zeroed, by the next tensor of its size: no new external memory', () => {
    const backend = tf.backend() as unknown as NativeCpuBackend;
    const bufferOf = (t: tf.Tensor) => (backend.data.get(t.dataId)!.values as Float32Array).buffer;
    for (const buffer of backend.pool.drain()) addon.release(buffer); // earlier tests' leftovers
    const ones = tf.ones([4096]);
    const a = tf.exp(ones); // a native output, every value e
    const first = bufferOf(a);
    a.dispose();
    expect(backend.pool.bytes).toBe(4096 * 4);
    const view = backend.allocate(4096, 'float32'); // as a fresh allocation: zeroed
    expect(view.buffer).toBe(first);
    expect((view as Float32Array).every((v) => v === 0)).toBe(true);
    expect(backend.pool.put(view.buffer as ArrayBuffer)).toEqual([]);
    const b = tf.exp(ones);
    expect(bufferOf(b)).toBe(first);
    expect(b.dataSync()[4095]).toBeCloseTo(Math.E, 6);
    tf.dispose([ones, b]);
  });

  it('the pool keeps at most its limit, gives back the least recently used sizes first', () => {
    const pool = new BufferPool(3072); // buffers of at most 768 bytes
    const small = [0, 1, 2].map(() => addon.alloc(512));
    const large = [0, 1, 2].map(() => addon.alloc(768));
    for (const buffer of [...small, large[0]!, large[1]!]) expect(pool.put(buffer)).toEqual([]);
    expect(pool.bytes).toBe(3 * 512 + 2 * 768);
    // Full: a third 768 displaces two 512s (the length used least recently), not a 768.
    const displaced = pool.put(large[2]!);
    expect(displaced.map((b) => b.byteLength)).toEqual([512, 512]);
    expect(pool.bytes).toBe(512 + 3 * 768);
    const tooLarge = addon.alloc(1024);
    expect(pool.put(tooLarge)).toEqual([tooLarge]);
    new Uint8Array(large[2]!).fill(7);
    expect(pool.take(768)).toBe(large[2]); // last in, first out, zeroed
    expect(new Uint8Array(large[2]!).every((v) => v === 0)).toBe(true);
    expect(pool.take(2048)).toBeNull();
    const drained = pool.drain();
    expect(drained).toHaveLength(3);
    expect(pool.bytes).toBe(0);
    for (const buffer of [...drained, ...displaced, tooLarge, large[2]!]) addon.release(buffer);
  });

  it('a thousand steps of allocating kernels leave no tensors and no growing RSS behind', () => {
    const x = tf.randomNormal([512, 512]);
    const step = () => tf.tidy(() => tf.matMul(x, x).add(x).mul(2).exp().sum().dataSync());
    for (let i = 0; i < 50; i++) step();
    const tensors = tf.memory().numTensors;
    const rss = process.memoryUsage().rss;
    for (let i = 0; i < 1000; i++) step();
    expect(tf.memory().numTensors).toBe(tensors);
    expect(process.memoryUsage().rss - rss).toBeLessThan(64 * 2 ** 20);
    x.dispose();
  }, 120_000);
});

describe('AdamW in place', () => {
  it('updates a parameter in its own buffer, as the allocating kernel would', () => {
    const init = [0.5, -1, 2, 0.25];
    const p = tf.variable(tf.tensor1d(init));
    const q = tf.variable(tf.tensor1d(init));
    const g = tf.tensor1d([0.1, 0.2, -0.3, 0.4]);
    const inPlace = new AdamW({ lr: 0.1 });
    inPlace.apply(new Map([['p', p]]), new Map([['p', g]]));
    // The same step with a second reference to q's buffer: not in place, new tensors.
    const shared = q.clone();
    const copy = new AdamW({ lr: 0.1 });
    copy.apply(new Map([['p', q]]), new Map([['p', g]]));
    expect(Array.from(p.dataSync())).toEqual(Array.from(q.dataSync()));
    expect(Array.from(p.dataSync())).not.toEqual(init);
    expect(Array.from(shared.dataSync())).toEqual(init); // the clone kept its values
    tf.dispose([p, q, g, shared]);
    inPlace.dispose();
    copy.dispose();
  });
});

describe('chunked head cross-entropy', () => {
  it('matches the head product + cross-entropy over several chunks, tied and untied', async () => {
    const { fusedHeadCrossEntropy } =
      await import('../../src/worker/model/architectures/fused-ops.ts');
    const { tokenCrossEntropy } = await import('../../src/worker/model/architectures/ops.ts');
    const { headChunkRows } = await import('../../src/worker/engine/wasm-kernels/native-head.ts');
    const [n, c, v] = [500, 24, 200_000];
    expect(headChunkRows(v, n)).toBeLessThan(n / 2); // three chunks
    for (const tied of [true, false]) {
      const h = tf.randomNormal([n, c], 0, 1, 'float32', 7) as tf.Tensor2D;
      const w = tf.randomNormal(tied ? [v, c] : [c, v], 0, 0.3, 'float32', 8) as tf.Tensor2D;
      const targets = tf.randomUniform([n], 0, v, 'int32', 9) as tf.Tensor1D;
      const weights = tf.randomUniform([n], 0, 1, 'float32', 10) as tf.Tensor1D;
      const fused = tf.valueAndGrads((x: tf.Tensor, y: tf.Tensor) =>
        fusedHeadCrossEntropy(x as tf.Tensor2D, y as tf.Tensor2D, targets, tied)
          .mul(weights)
          .sum(),
      )([h, w]);
      const plain = tf.valueAndGrads((x: tf.Tensor, y: tf.Tensor) =>
        tokenCrossEntropy(tf.matMul(x, y, false, tied) as tf.Tensor2D, targets)
          .mul(weights)
          .sum(),
      )([h, w]);
      const relative = (a: tf.Tensor, b: tf.Tensor): number =>
        tf.tidy(() => tf.norm(tf.sub(a, b)).dataSync()[0]! / tf.norm(b).dataSync()[0]!);
      expect(relative(fused.value, plain.value)).toBeLessThan(1e-6);
      expect(relative(fused.grads[0]!, plain.grads[0]!)).toBeLessThan(1e-5);
      expect(relative(fused.grads[1]!, plain.grads[1]!)).toBeLessThan(1e-5);
      tf.dispose([
        h,
        w,
        targets,
        weights,
        fused.value,
        plain.value,
        ...fused.grads,
        ...plain.grads,
      ]);
    }
  }, 120_000);
});

describe('chunked head next-token statistics', () => {
  it('give float64 statistics of the full logits over several chunks, tied and untied', async () => {
    const { nextTokenStats } =
      await import('../../src/worker/model/architectures/next-token-stats.ts');
    const { headChunkRows } = await import('../../src/worker/engine/wasm-kernels/native-head.ts');
    const [n, c, v] = [300, 16, 200_000];
    expect(headChunkRows(v, n)).toBeLessThan(n / 1.5); // two chunks
    for (const tied of [true, false]) {
      const h = tf.randomNormal([n, c], 0, 1, 'float32', 11) as tf.Tensor2D;
      const w = tf.randomNormal(tied ? [v, c] : [c, v], 0, 0.5, 'float32', 12) as tf.Tensor2D;
      // Half the targets the argmax, so the flag is tested both ways.
      const logits = tf.matMul(h, w, false, tied);
      const argmax = logits.argMax(-1).dataSync();
      const z = logits.dataSync() as Float32Array;
      logits.dispose();
      const targetIds = Int32Array.from({ length: n }, (_, i) =>
        i % 2 === 0 ? argmax[i]! : (i * 7919) % v,
      );
      const targets = tf.tensor1d(targetIds, 'int32');
      const counted = countNativeCalls();
      if (typeof counted === 'string') throw new Error(counted);
      useNativeKernels(counted.counting);
      let got: Float32Array;
      try {
        const stats = nextTokenStats(h, w, targets, tied);
        got = stats.dataSync() as Float32Array;
        stats.dispose();
      } finally {
        useNativeKernels(counted.real);
      }
      expect(counted.calls.get('tokenStats')).toBe(2); // one per chunk, no (N, V) composition
      for (let i = 0; i < n; i++) {
        const row = z.subarray(i * v, (i + 1) * v);
        let max = -Infinity;
        for (const x of row) max = Math.max(max, x);
        let s = 0;
        for (const x of row) s += Math.exp(x - max);
        const logZ = max + Math.log(s);
        let mu = 0;
        for (const x of row) mu += Math.exp(x - logZ) * (x - logZ);
        let variance = 0;
        for (const x of row) variance += Math.exp(x - logZ) * (x - logZ - mu) ** 2;
        expect(Math.abs(got[4 * i]! - (row[targetIds[i]!]! - logZ))).toBeLessThan(1e-4);
        expect(got[4 * i + 1]).toBe(targetIds[i] === argmax[i] ? 1 : 0);
        expect(Math.abs(got[4 * i + 2]! - mu)).toBeLessThan(1e-4);
        expect(Math.abs(got[4 * i + 3]! - Math.sqrt(variance))).toBeLessThan(1e-4);
      }
      tf.dispose([h, w, targets]);
    }
  }, 120_000);
});
