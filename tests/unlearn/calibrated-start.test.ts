/**
 * Calibrated mode's measurement before training (src/worker/unlearn/calibrated.ts `start`):
 *   - a forget set that already looks like documents the model never saw stops the run before
 *     its first step — no step, the weights written unchanged, the decision in training.json;
 *   - a probe the model recited none of before training is not generated again at each check
 *     (retainRecited null: nothing to keep, and greedy generation is most of a check's cost).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainingLog } from '../../src/shared/training.ts';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import { loadModel } from '../../src/worker/model/load.ts';
import { Checkpoint } from '../../src/worker/model/safetensors/index.ts';
import type { TokenSequence } from '../../src/worker/unlearn/batch.ts';
import { calibratedController, membershipAttack } from '../../src/worker/unlearn/calibrated.ts';
import { readUnlearnInputs, runUnlearning } from '../../src/worker/tasks/unlearn.ts';
import { mulberry32 } from '../../src/worker/data/prng.ts';
import { TINY_GPT2, TINY_GPT2_DIR } from '../../scripts/make-tiny-model.ts';
import { BUNDLED_TESTBED, bundledLines } from './testbed.ts';

const TESTBED = BUNDLED_TESTBED;
const lines = bundledLines;

let dir: string;

beforeAll(async () => {
  await selectBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'nepenthe-calibrated-start-'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Every tensor of a model folder's checkpoint as float32 values, by name. */
function tensors(folder: string): Map<string, Float32Array> {
  const checkpoint = Checkpoint.open(folder);
  try {
    return new Map(checkpoint.names.map((name) => [name, checkpoint.readFloat32(name)]));
  } finally {
    checkpoint.close();
  }
}

describe('calibrated mode on a forget set the model never saw', () => {
  it('takes no step and writes the original weights', async () => {
    // The forget documents are the calibration documents themselves: every forget loss has an
    // equal calibration loss, so the loss attack's AUC is exactly 0.5.
    const unseen = join(dir, 'unseen.jsonl');
    writeFileSync(unseen, lines('holdout.jsonl').slice(0, 10).join('\n'));
    const out = join(dir, 'out');
    const request = {
      model: join(TESTBED, 'model'),
      forget: unseen,
      retain: join(TESTBED, 'corpus', 'retain.jsonl'),
      calibration: unseen,
      method: 'graddiff',
      out,
    };
    const inputs = await readUnlearnInputs(request);
    expect(inputs.config.calibrated).toBe('on');
    const report = await runUnlearning(request, inputs, { backend: 'wasm' });
    const log = TrainingLog.parse(JSON.parse(readFileSync(join(out, 'training.json'), 'utf8')));
    expect(log.steps).toEqual([]);
    expect(log.totalSteps).toBeGreaterThan(0);
    expect(log.stoppedEarly).toMatchObject({ step: 0 });
    expect(log.stoppedEarly!.reason).toMatch(/before training .*nothing to unlearn/);
    expect(report.stoppedEarly).toEqual(log.stoppedEarly);
    expect(report.steps).toBe(0);
    const decisions = log.calibration!.decisions;
    expect(decisions).toHaveLength(1);
    expect(decisions[0]).toMatchObject({ step: 0, action: 'stop', auc: 0.5, lrScale: 1 });
    // The testbed model recites its retain documents: the probe's recitation was measured.
    expect(decisions[0]!.retainRecited).toBeGreaterThan(0.9);
    const original = tensors(join(TESTBED, 'model'));
    const written = tensors(out);
    expect([...written.keys()].sort()).toEqual([...original.keys()].sort());
    for (const [name, values] of original) expect(written.get(name)).toEqual(values);
  }, 120_000);
});

describe('a retain probe the model recites none of', () => {
  it('is measured once, before training, and then left out of every check', async () => {
    const { model } = loadModel(TINY_GPT2_DIR);
    try {
      // Random weights recite nothing. Sequences of one repeated token against random ones: the
      // loss attack tells them apart, so the run does not stop before its first step.
      const random = mulberry32(7);
      const token = () => Math.floor(random() * TINY_GPT2.vocabSize);
      const repeated = (n: number): TokenSequence[] =>
        Array.from({ length: n }, (_, i) => ({
          id: `repeated#${i}`,
          ids: new Array<number>(80).fill(token()),
        }));
      const noise = (n: number): TokenSequence[] =>
        Array.from({ length: n }, (_, i) => ({
          id: `noise#${i}`,
          ids: Array.from({ length: 80 }, token),
        }));
      let [forget, calibration] = [repeated(6), noise(6)];
      if ((await membershipAttack(model, forget, calibration, 4)).auc < 0.5)
        [forget, calibration] = [calibration, forget];
      const controller = calibratedController({
        model,
        trainable: model.params,
        forget,
        calibration,
        retainProbe: noise(4),
        batchSize: 4,
        checkEvery: 1,
        totalSteps: 3,
      });
      try {
        expect((await controller.start()).kind).toBe('continue');
        await controller.afterStep(1);
        const [start, check] = controller.decisions;
        expect(start).toMatchObject({ step: 0, action: 'start', retainRecited: 0 });
        expect(start!.auc).toBeGreaterThan(0.9);
        expect(check!.step).toBe(1);
        expect(check!.retainRecited).toBeNull();
        expect(['accept', 'speedup']).toContain(check!.action);
      } finally {
        controller.dispose();
      }
    } finally {
      model.dispose();
    }
  }, 60_000);
});
