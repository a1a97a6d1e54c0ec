/**
 * Resume is exact (issue 3): a run stopped after a checkpoint and resumed ends with the same
 * weights, bit for bit, and the same step records as a run that was never interrupted (same
 * seed, wasm). Covered for graddiff (all parameters), bounded (adapter variables and their AdamW
 * moments), sau on a pruned model (masked moments) and sga with rate "auto" (its one-off rate,
 * estimated from the starting weights before the checkpoint is restored). Resuming with another
 * config is refused with an exit-2 error naming the checkpoint.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/shared/errors.ts';
import { TrainingLog } from '../../src/shared/training.ts';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import { SafetensorsFile } from '../../src/worker/model/safetensors/index.ts';
import { readUnlearnInputs, runUnlearning } from '../../src/worker/tasks/unlearn.ts';
import { buildTestbed, prunedCopy, type Testbed } from './testbed.ts';

let dir: string;
let bed: Testbed;
let sparseModel: string;

beforeAll(async () => {
  await selectBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'nepenthe-resume-'));
  bed = await buildTestbed(dir);
  sparseModel = await prunedCopy(bed, join(dir, 'sparse'), 0.3);
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The 3 forget documents cut into 64-token chunks, 2 per step: several steps per epoch; checkpoint every 2. */
const COMMON = { checkpointEvery: 2, epochs: 3, batchSize: 2, lr: 1e-3, maxLength: 64, seed: 9 };

async function unlearn(
  name: string,
  method: string,
  config: object,
  options: { model?: string; resume?: boolean; stopAfterStep?: number } = {},
) {
  const configFile = join(dir, `${name}.config.json`);
  writeFileSync(configFile, JSON.stringify(config));
  const request = {
    model: options.model ?? bed.modelDir,
    forget: bed.forgetFile,
    retain: bed.retainFile,
    method,
    config: configFile,
    out: join(dir, name),
    ...(options.resume ? { resume: true } : {}),
  };
  return runUnlearning(request, await readUnlearnInputs(request), {
    backend: 'wasm',
    ...(options.stopAfterStep === undefined ? {} : { stopAfterStep: options.stopAfterStep }),
  });
}

const trainingLog = (out: string) =>
  TrainingLog.parse(JSON.parse(readFileSync(join(out, 'training.json'), 'utf8')));

/** Every tensor of two model.safetensors, compared as raw bytes. */
function expectSameWeights(a: string, b: string): void {
  const [fa, fb] = [a, b].map((d) => SafetensorsFile.open(join(d, 'model.safetensors')));
  try {
    expect(fb!.names.sort()).toEqual(fa!.names.sort());
    let differing = 0;
    for (const name of fa!.names) {
      const [x, y] = [fa!.readFloat32(name), fb!.readFloat32(name)];
      const bits = (t: Float32Array) => new Uint32Array(t.buffer, t.byteOffset, t.length);
      if (!Buffer.from(bits(x).buffer).equals(Buffer.from(bits(y).buffer))) differing++;
    }
    expect(differing).toBe(0);
  } finally {
    fa!.close();
    fb!.close();
  }
}

async function expectExactResume(method: string, config: object, model?: string) {
  const full = { ...COMMON, ...config };
  const base = model === undefined ? {} : { model };
  const a = await unlearn(`${method}-a`, method, full, base);
  expect(a.cancelled).toBe(false);
  expect(a.steps).toBe(a.totalSteps);
  expect(a.totalSteps).toBeGreaterThan(6);

  const stopped = await unlearn(`${method}-b`, method, full, { ...base, stopAfterStep: 3 });
  expect(stopped.cancelled).toBe(true);
  expect(stopped.steps).toBe(3);
  expect(stopped.out).toBeNull();
  const b = await unlearn(`${method}-b`, method, full, { ...base, resume: true });
  expect(b.cancelled).toBe(false);
  expect(b.resumedFrom).toBe(3);

  expectSameWeights(join(dir, `${method}-a`), join(dir, `${method}-b`));
  const [logA, logB] = [
    trainingLog(join(dir, `${method}-a`)),
    trainingLog(join(dir, `${method}-b`)),
  ];
  expect(logA.resumedFrom).toBe(0);
  expect(logB.resumedFrom).toBe(3);
  const numbers = (log: typeof logA) =>
    log.steps.map((s) => ({
      step: s.step,
      lr: s.lr,
      loss: s.loss,
      terms: s.terms,
      gradNorm: s.gradNorm,
    }));
  expect(numbers(logB)).toEqual(numbers(logA));
  expect(logA.steps).toHaveLength(a.totalSteps);
  // the run did train: the weights moved off the input
  expect(logA.steps.at(-1)!.loss).not.toBe(logA.steps[0]!.loss);
  return { logA, logB };
}

describe('resume', () => {
  it('graddiff: stopped at step 3 and resumed equals uninterrupted, bit for bit', async () => {
    await expectExactResume('graddiff', {});
  }, 60_000);

  it('bounded: adapter variables and their AdamW moments are restored', async () => {
    const { logA, logB } = await expectExactResume('bounded', { rank: 4 });
    expect(logB.steps.map((s) => s.extra)).toEqual(logA.steps.map((s) => s.extra));
  }, 60_000);

  it('sga rate "auto": the resumed run derives the same one-off rate, used at every step', async () => {
    const { logA, logB } = await expectExactResume('sga', { rate: 'auto', k: 3 });
    const rates = logA.steps.map((s) => s.extra.rate);
    expect(new Set(rates).size).toBe(1); // estimated once, before training
    expect(Math.abs(rates[0]!)).toBeLessThanOrEqual(1);
    expect(logB.steps.map((s) => s.extra.rate)).toEqual(rates);
  }, 60_000);

  it('sau on a pruned model resumes exactly', async () => {
    await expectExactResume('sau', { lr: 1e-3 }, sparseModel);
  }, 60_000);

  it('refuses to resume with another config, naming the checkpoint (exit 2)', async () => {
    await unlearn('changed', 'graddiff', COMMON, { stopAfterStep: 2 });
    const error = await unlearn(
      'changed',
      'graddiff',
      { ...COMMON, lr: 2e-3 },
      { resume: true },
    ).then(
      () => null,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(UserInputError);
    expect((error as UserInputError).message).toContain('checkpoint');
    expect((error as UserInputError).path).toMatch(/checkpoint$/);
    // the checkpoint survives the refusal, and the same config still resumes from it
    const resumed = await unlearn('changed', 'graddiff', COMMON, { resume: true });
    expect(resumed.resumedFrom).toBe(2);
  }, 60_000);
});
