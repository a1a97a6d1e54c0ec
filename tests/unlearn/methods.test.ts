/**
 * Every method really forgets (issue 3): on a tiny GPT-2 that recites 8 synthetic people, each
 * method, run through the same task the CLI runs, must take the forget set's greedy exact
 * continuation rate from 1 to at most 1/3 and at least triple the forget NLL; methods with a
 * retain term (graddiff family) must keep the retain NLL under RETAIN_NLL_BOUND nats/token
 * (it starts near 0.05). Hyperparameters are per method (the tiny model wants larger rates than
 * the defaults, which target billion-parameter models) and written beside each case.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainingLog } from '../../src/shared/training.ts';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import { Checkpoint } from '../../src/worker/model/safetensors/index.ts';
import { isBlockLinearWeight } from '../../src/worker/model/weight-names.ts';
import { readUnlearnInputs, runUnlearning } from '../../src/worker/tasks/unlearn.ts';
import { buildTestbed, measure, prunedCopy, type Measurement, type Testbed } from './testbed.ts';

/** Retain NLL (nats/token) the graddiff-family methods must stay under; before: ≈ 0.05. */
const RETAIN_NLL_BOUND = 0.5;
const SPARSITY = 0.3;

let dir: string;
let bed: Testbed;
let before: Measurement;
let sparseModel: string;
let sparseBefore: Measurement;

beforeAll(async () => {
  await selectBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'nepenthe-methods-'));
  bed = await buildTestbed(dir);
  before = await measure(bed.modelDir, bed);
  sparseModel = await prunedCopy(bed, join(dir, 'sparse'), SPARSITY);
  sparseBefore = await measure(sparseModel, bed);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function unlearn(method: string, config: object, model = bed.modelDir, name = method) {
  const configFile = join(dir, `${name}.config.json`);
  writeFileSync(configFile, JSON.stringify(config));
  const out = join(dir, `${name}-out`);
  const request = {
    model,
    forget: bed.forgetFile,
    retain: bed.retainFile,
    method,
    config: configFile,
    out,
  };
  const report = await runUnlearning(request, await readUnlearnInputs(request), {
    backend: 'wasm',
  });
  const log = TrainingLog.parse(JSON.parse(readFileSync(join(out, 'training.json'), 'utf8')));
  return { out, report, log, after: await measure(out, bed) };
}

const CASES: { method: string; config: object; retainBound: boolean }[] = [
  { method: 'ga', config: { lr: 1e-3, epochs: 5, batchSize: 3 }, retainBound: false },
  { method: 'graddiff', config: { lr: 5e-4, epochs: 6, batchSize: 3 }, retainBound: true },
  { method: 'kl', config: { lr: 5e-4, epochs: 6, batchSize: 3 }, retainBound: true },
  { method: 'npo', config: { lr: 1e-3, epochs: 10, batchSize: 3 }, retainBound: true },
  { method: 'simnpo', config: { lr: 1e-3, epochs: 10, batchSize: 3 }, retainBound: true },
  {
    method: 'undial',
    config: { lr: 1e-3, epochs: 10, batchSize: 3, alpha: 5 },
    retainBound: true,
  },
  { method: 'sga', config: { lr: 5e-4, epochs: 6, batchSize: 3 }, retainBound: true },
  { method: 'bounded', config: { lr: 5e-4, epochs: 14, batchSize: 3 }, retainBound: true },
];

describe('each method forgets the memorized forget set', () => {
  it('starts from a model that recites forget and retain', () => {
    expect(before.forgetExact).toBe(1);
    expect(before.retainExact).toBe(1);
    expect(before.retainNll).toBeLessThan(0.1);
  });

  for (const { method, config, retainBound } of CASES) {
    it(`${method} ${JSON.stringify(config)}`, async () => {
      const { report, log, after } = await unlearn(method, config);
      console.log(method, JSON.stringify({ before, after, steps: report.steps }));
      expect(report.cancelled).toBe(false);
      expect(log.steps).toHaveLength(report.totalSteps);
      expect(after.forgetExact).toBeLessThanOrEqual(1 / 3);
      expect(after.forgetNll).toBeGreaterThan(3 * before.forgetNll);
      if (retainBound) expect(after.retainNll).toBeLessThan(RETAIN_NLL_BOUND);
    }, 60_000);
  }

  it('sau on the pruned model forgets and keeps the zero pattern bit for bit', async () => {
    expect(sparseBefore.forgetExact).toBe(1);
    const { out, after } = await unlearn('sau', { lr: 5e-4, epochs: 6, batchSize: 3 }, sparseModel);
    console.log('sau', JSON.stringify({ sparseBefore, after }));
    expect(after.forgetExact).toBeLessThanOrEqual(1 / 3);
    expect(after.forgetNll).toBeGreaterThan(3 * sparseBefore.forgetNll);
    expect(after.retainNll).toBeLessThan(RETAIN_NLL_BOUND);

    const zeros = (folder: string) => {
      const checkpoint = Checkpoint.open(folder);
      try {
        const out = new Map<string, string>();
        for (const name of checkpoint.names.filter(isBlockLinearWeight).sort()) {
          const values = checkpoint.readFloat32(name);
          out.set(name, Array.from(values, (v) => (v === 0 ? '0' : '1')).join(''));
        }
        return out;
      } finally {
        checkpoint.close();
      }
    };
    const patternBefore = zeros(sparseModel);
    const patternAfter = zeros(out);
    expect(patternBefore.size).toBeGreaterThan(0);
    expect([...patternAfter.keys()]).toEqual([...patternBefore.keys()]);
    for (const [name, pattern] of patternBefore) expect(patternAfter.get(name), name).toBe(pattern);
    const zeroCount = [...patternBefore.values()].join('').split('0').length - 1;
    const total = [...patternBefore.values()].join('').length;
    expect(zeroCount / total).toBeCloseTo(SPARSITY, 2);
  }, 60_000);

  it('sau over the undial loss forgets on the pruned model and keeps its sparsity', async () => {
    const { out, after } = await unlearn(
      'sau',
      { lr: 1e-3, epochs: 10, batchSize: 3, baseMethod: 'undial', alpha: 5 },
      sparseModel,
      'sau-undial',
    );
    console.log('sau/undial', JSON.stringify({ sparseBefore, after }));
    expect(after.forgetExact).toBeLessThanOrEqual(1 / 3);
    expect(after.forgetNll).toBeGreaterThan(3 * sparseBefore.forgetNll);
    expect(after.retainNll).toBeLessThan(RETAIN_NLL_BOUND);
    const checkpoint = Checkpoint.open(out);
    try {
      let zeros = 0;
      let total = 0;
      for (const name of checkpoint.names.filter(isBlockLinearWeight)) {
        const values = checkpoint.readFloat32(name);
        zeros += values.filter((v) => v === 0).length;
        total += values.length;
      }
      expect(zeros / total).toBeCloseTo(SPARSITY, 2);
    } finally {
      checkpoint.close();
    }
  }, 60_000);

  it('bounded over the npo loss forgets through its adapters: the npo term minimized, adapter written', async () => {
    const config = { lr: 5e-4, epochs: 14, batchSize: 3, baseMethod: 'npo', rank: 8 };
    const { out, log, after } = await unlearn('bounded', config, bed.modelDir, 'bounded-npo');
    console.log('bounded/npo', JSON.stringify({ before, after }));
    expect(after.forgetExact).toBeLessThanOrEqual(1 / 3);
    expect(after.forgetNll).toBeGreaterThan(3 * before.forgetNll);
    // NPO's term, not GradDiff's, was minimized; the adapters' norms are logged beside it.
    expect(Object.keys(log.steps[0]!.terms)).toContain('npo');
    expect(log.steps.every((s) => s.extra.adapterNorm !== undefined)).toBe(true);
    expect(existsSync(join(out, 'adapter'))).toBe(true);
  }, 60_000);
});
