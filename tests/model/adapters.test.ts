/**
 * LoRA adapters with a bounded update (ALGORITHMS.md, "Bounded PEU"): exact start at W₀, the
 * entrywise bound, gradients that reach A and B and never the base, merge, export, memory.
 */
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import { createRandomModel } from '../../src/worker/model/architectures/index.ts';
import type { CausalLM } from '../../src/worker/model/architectures/types.ts';
import {
  LoraAdapters,
  loraDefaults,
  type BoundFunction,
  type LoraOptions,
} from '../../src/worker/model/adapters/lora.ts';
import { mlpTargets } from '../../src/worker/model/adapters/targets.ts';
import { SafetensorsFile } from '../../src/worker/model/safetensors/index.ts';
import { tinyGpt2, tinyLlama } from '../helpers/tiny-specs.ts';

const gpt2 = tinyGpt2();
const llama = tinyLlama();
const FAMILIES = [
  ['gpt2', gpt2],
  ['llama', llama],
] as const;
const BOUNDS: BoundFunction[] = ['sine', 'tanh', 'none'];

const options = (bound: BoundFunction, rank = 8): LoraOptions => ({
  ...loraDefaults(rank),
  bound,
  seed: 3,
});
const batch = () => tf.randomUniform([2, 16], 0, 64, 'int32', 11) as tf.Tensor2D; // (B, T)

/** Logits of `ids` as a flat array; frees the tensor. */
function logitsOf(model: CausalLM, ids: tf.Tensor2D): Float32Array {
  const logits = model.logits(ids); // (B, T, V)
  const data = logits.dataSync() as Float32Array;
  logits.dispose();
  return data;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** Every B set to N(0, std²) with a fixed seed. */
function randomizeB(lora: LoraAdapters, std: number): void {
  let i = 0;
  for (const [name, v] of lora.variables) {
    if (name.endsWith('lora_B.weight')) {
      tf.tidy(() => v.assign(tf.randomNormal(v.shape, 0, std, 'float32', 100 + i++)));
    }
  }
}

/** Copies of every base parameter's values. */
function snapshot(model: CausalLM): Map<string, Float32Array> {
  return new Map(
    [...model.params].map(([name, v]) => [name, (v.dataSync() as Float32Array).slice()]),
  );
}

beforeAll(async () => {
  await selectBackend('cpu');
});

describe('mlpTargets', () => {
  it('finds the GPT-2 MLP projections and nothing of attention', () => {
    const model = createRandomModel(gpt2, 1);
    expect(mlpTargets(model)).toEqual([
      'transformer.h.0.mlp.c_fc.weight',
      'transformer.h.0.mlp.c_proj.weight',
      'transformer.h.1.mlp.c_fc.weight',
      'transformer.h.1.mlp.c_proj.weight',
    ]);
    model.dispose();
  });

  it("finds Llama's gate, up and down projections", () => {
    const model = createRandomModel(llama, 1);
    const names = mlpTargets(model);
    expect(names).toHaveLength(6);
    for (const layer of [0, 1])
      for (const p of ['gate_proj', 'up_proj', 'down_proj'])
        expect(names).toContain(`model.layers.${layer}.mlp.${p}.weight`);
    const lora = LoraAdapters.attach(model, options('sine'));
    const down = lora.targets.find((t) => t.weight === 'model.layers.0.mlp.down_proj.weight')!;
    expect([down.dIn, down.dOut]).toEqual([48, 32]); // HF [out, in] = [32, 48]
    expect(lora.variables.get('model.layers.0.mlp.down_proj.lora_A.weight')!.shape).toEqual([
      8, 48,
    ]);
    expect(lora.variables.get('model.layers.0.mlp.down_proj.lora_B.weight')!.shape).toEqual([
      32, 8,
    ]);
    lora.dispose();
    model.dispose();
  });
});

describe.each(FAMILIES)('LoRA adapters on %s', (_, spec) => {
  it.each(BOUNDS)('start exactly at the base model (%s)', (bound) => {
    const model = createRandomModel(spec, 1);
    const ids = batch();
    const base = logitsOf(model, ids);
    const lora = LoraAdapters.attach(model, options(bound));
    expect(maxAbsDiff(logitsOf(model, ids), base)).toBe(0);
    lora.dispose();
    ids.dispose();
    model.dispose();
  });

  it('keep every entry of a sine or tanh update within (α/r)/√d_in; plain LoRA exceeds it', () => {
    const model = createRandomModel(spec, 1);
    const worst = new Map<BoundFunction, number>();
    for (const bound of BOUNDS) {
      const lora = LoraAdapters.attach(model, options(bound));
      randomizeB(lora, 10);
      let ratio = 0;
      for (const t of lora.targets) {
        const limit = (2 * 8) / 8 / Math.sqrt(t.dIn); // α = 2r
        if (bound !== 'none') expect(lora.bound(t.weight)).toBeCloseTo(limit, 12);
        const delta = lora.delta(t.weight); // (d_in, d_out)
        expect(delta.shape).toEqual([t.dIn, t.dOut]);
        const maxAbs = delta.abs().max().dataSync()[0]!;
        delta.dispose();
        ratio = Math.max(ratio, maxAbs / limit);
      }
      worst.set(bound, ratio);
      lora.dispose();
    }
    expect(worst.get('sine')!).toBeLessThanOrEqual(1 + 1e-6);
    expect(worst.get('tanh')!).toBeLessThanOrEqual(1 + 1e-6);
    expect(worst.get('sine')!).toBeGreaterThan(0.9); // the bound is reached, not vacuous
    expect(worst.get('none')!).toBeGreaterThan(10);
    model.dispose();
  });

  it('train A and B only: nonzero gradients, base weights bit-for-bit unchanged', () => {
    const model = createRandomModel(spec, 1);
    const ids = batch();
    const before = snapshot(model);
    const baseLogits = logitsOf(model, ids);
    const lora = LoraAdapters.attach(model, options('sine'));
    const vars = [...lora.variables.values()];
    const sgdStep = () => {
      const { value, grads } = tf.variableGrads(() => model.nll(ids), vars);
      const norms = new Map(
        [...lora.variables].map(([name, v]) => [name, grads[v.name]!.norm().dataSync()[0]!]),
      );
      for (const v of vars) tf.tidy(() => v.assign(v.sub(grads[v.name]!.mul(0.1))));
      value.dispose();
      tf.dispose(grads);
      return norms;
    };
    // At B = 0 only B moves (∂/∂A of sin(ω·B·A) is ω·cos·Bᵀ = 0); after one step both do.
    const first = sgdStep();
    for (const [name, norm] of first)
      if (name.endsWith('lora_B.weight')) expect(norm, name).toBeGreaterThan(0);
      else expect(norm, name).toBe(0);
    const second = sgdStep();
    for (const [name, norm] of second) expect(norm, name).toBeGreaterThan(0);

    for (const [name, v] of model.params)
      expect(Buffer.from((v.dataSync() as Float32Array).buffer), name).toEqual(
        Buffer.from(before.get(name)!.buffer),
      );
    expect(maxAbsDiff(logitsOf(model, ids), baseLogits)).toBeGreaterThan(0);
    lora.detach();
    expect(maxAbsDiff(logitsOf(model, ids), baseLogits)).toBe(0); // detach: W₀ again
    lora.dispose();
    ids.dispose();
    model.dispose();
  });

  it.each(BOUNDS)('merge into the base weights as the hooked model computes (%s)', (bound) => {
    const model = createRandomModel(spec, 1);
    const ids = batch();
    const lora = LoraAdapters.attach(model, options(bound));
    randomizeB(lora, 0.05);
    const hooked = logitsOf(model, ids);
    const before = snapshot(model);
    lora.merge();
    const merged = logitsOf(model, ids);
    expect(maxAbsDiff(merged, hooked)).toBeLessThanOrEqual(1e-5);
    expect(maxAbsDiff(merged, new Float32Array(merged.length))).toBeGreaterThan(0);
    // Only the targets changed.
    const targets = new Set(lora.targets.map((t) => t.weight));
    for (const [name, v] of model.params) {
      const same = maxAbsDiff(v.dataSync() as Float32Array, before.get(name)!) === 0;
      expect(same, name).toBe(!targets.has(name));
    }
    // The hooks are gone: changing B no longer changes what the model computes.
    randomizeB(lora, 1);
    expect(maxAbsDiff(logitsOf(model, ids), merged)).toBe(0);
    expect(() => lora.merge()).toThrow(/merged/);
    lora.dispose();
    ids.dispose();
    model.dispose();
  });

  it.each([4, 8, 32])('work at rank %i', async (rank) => {
    const model = createRandomModel(spec, 1);
    const ids = batch();
    const lora = LoraAdapters.attach(model, options('sine', rank));
    expect(lora.variables.size).toBe(2 * mlpTargets(model).length);
    for (const t of lora.targets) {
      expect(lora.variables.get(`${t.module}.lora_A.weight`)!.shape).toEqual([rank, t.dIn]);
      expect(lora.variables.get(`${t.module}.lora_B.weight`)!.shape).toEqual([t.dOut, rank]);
    }
    randomizeB(lora, 0.05);
    const { value, grads } = tf.variableGrads(() => model.nll(ids), [...lora.variables.values()]);
    expect(Number.isFinite(value.dataSync()[0])).toBe(true);
    for (const v of lora.variables.values())
      expect(grads[v.name]!.norm().dataSync()[0]).toBeGreaterThan(0);
    value.dispose();
    tf.dispose(grads);
    const norms = await lora.norms();
    let squares = 0;
    for (const v of lora.variables.values()) for (const x of v.dataSync()) squares += x * x;
    expect(norms.adapterNorm).toBeCloseTo(Math.sqrt(squares), 4);
    squares = 0;
    for (const t of lora.targets) {
      const delta = lora.delta(t.weight); // (d_in, d_out)
      for (const x of delta.dataSync()) squares += x * x;
      delta.dispose();
    }
    expect(norms.deltaNorm).toBeCloseTo(Math.sqrt(squares), 4);
    expect(norms.deltaNorm).toBeGreaterThan(0);
    lora.dispose();
    ids.dispose();
    model.dispose();
  });
});

describe('sine adapter gradient', () => {
  /**
   * The loss is float32 (~4, ulp 4.8e-7), so a central difference with eps 1e-3 resolves the
   * directional derivative to ~2.4e-4. A purely random unit direction in ~10⁴ adapter weights
   * has derivative |g|/√n ≈ 1e-2, too close to that; the direction is therefore a random unit
   * vector plus the unit gradient (an error e in the gradient still shows unless e ⊥ both).
   */
  it('matches central finite differences along a random direction', () => {
    const model = createRandomModel(gpt2, 2);
    const ids = batch();
    const lora = LoraAdapters.attach(model, options('sine'));
    randomizeB(lora, 0.03); // ω·(B·A) entries ~0.9 rad: sin far from linear
    const vars = [...lora.variables.values()];
    const norm = (ts: tf.Tensor[]) =>
      Math.sqrt(ts.reduce((s, t) => s + t.square().sum().dataSync()[0]!, 0));

    const { value, grads } = tf.variableGrads(() => model.nll(ids), vars);
    const g = vars.map((v) => grads[v.name]!);
    const random = vars.map((v, i) => tf.randomNormal(v.shape, 0, 1, 'float32', 500 + i));
    const [gNorm, rNorm] = [norm(g), norm(random)];
    const direction = vars.map((_, i) =>
      tf.tidy(() => random[i]!.div(rNorm).add(g[i]!.div(gNorm))),
    );
    const analytic = g.reduce((s, gi, i) => s + gi.mul(direction[i]!).sum().dataSync()[0]!, 0);
    value.dispose();
    tf.dispose([...g, ...random]);

    const eps = 1e-3;
    const original = vars.map((v) => v.clone());
    const lossAt = (step: number) => {
      vars.forEach((v, i) => tf.tidy(() => v.assign(original[i]!.add(direction[i]!.mul(step)))));
      const loss = model.nll(ids);
      const x = loss.dataSync()[0]!;
      loss.dispose();
      return x;
    };
    const numeric = (lossAt(eps) - lossAt(-eps)) / (2 * eps);
    vars.forEach((v, i) => v.assign(original[i]!));
    tf.dispose([...original, ...direction]);

    expect(Math.abs(analytic)).toBeGreaterThan(0.1);
    expect(Math.abs(numeric - analytic) / Math.abs(analytic)).toBeLessThan(1e-2);
    lora.dispose();
    ids.dispose();
    model.dispose();
  });
});

describe('exportAdapter', () => {
  it('writes PEFT-named F32 tensors and a config that read back', async () => {
    const model = createRandomModel(gpt2, 1);
    const lora = LoraAdapters.attach(model, options('sine', 4));
    randomizeB(lora, 0.05);
    const folder = join(mkdtempSync(join(tmpdir(), 'nepenthe-lora-')), 'adapter');
    const paths = await lora.exportAdapter(folder, 'tiny-gpt2');
    expect(paths.map((p) => p.slice(folder.length + 1))).toEqual([
      'adapter_model.safetensors',
      'adapter_config.json',
    ]);

    const file = SafetensorsFile.open(paths[0]!);
    expect(file.names).toHaveLength(8);
    for (const t of lora.targets) {
      for (const m of ['lora_A', 'lora_B'] as const) {
        const name = `base_model.model.${t.module}.${m}.weight`;
        const entry = file.entry(name)!;
        expect(entry.dtype).toBe('F32');
        expect(entry.shape).toEqual(m === 'lora_A' ? [4, t.dIn] : [t.dOut, 4]);
        const v = lora.variables.get(`${t.module}.${m}.weight`)!;
        expect(file.readFloat32(name)).toEqual(v.dataSync());
      }
    }
    file.close();

    const config = JSON.parse(readFileSync(paths[1]!, 'utf8')) as Record<string, unknown>;
    expect(config).toMatchObject({
      peft_type: 'LORA',
      r: 4,
      lora_alpha: 8,
      target_modules: ['mlp.c_fc', 'mlp.c_proj'],
      fan_in_fan_out: true,
      base_model_name_or_path: 'tiny-gpt2',
      nepenthe: {
        bound: 'sine',
        omega: 100,
        scaling: 'W = W0 + (lora_alpha / r) * sin(omega * B @ A) / sqrt(d_in)',
        model_type: 'gpt2',
      },
    });
    lora.dispose();
    model.dispose();
  });
});

describe('memory', () => {
  it.each(FAMILIES)(
    'attach, forward, backward, norms, dispose leave no tensor (%s)',
    async (_, spec) => {
      const model = createRandomModel(spec, 1);
      const ids = batch();
      logitsOf(model, ids); // the model caches its causal mask on the first forward
      const count = tf.memory().numTensors;
      for (const bound of BOUNDS) {
        const lora = LoraAdapters.attach(model, options(bound));
        randomizeB(lora, 0.05);
        logitsOf(model, ids);
        const { value, grads } = tf.variableGrads(
          () => model.nll(ids),
          [...lora.variables.values()],
        );
        value.dispose();
        tf.dispose(grads);
        await lora.norms();
        lora.delta(lora.targets[0]!.weight).dispose();
        lora.dispose();
      }
      expect(tf.memory().numTensors).toBe(count);
      ids.dispose();
      model.dispose();
    },
  );
});
