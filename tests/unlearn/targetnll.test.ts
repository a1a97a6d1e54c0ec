/**
 * `targetnll` (methods/targetnll.ts) on the bundled testbed (resources/testbed: a GPT-2 that
 * recites forget10 and retain, and 20 holdout people it never saw): with half of the holdout as
 * calibration documents and no config (calibrated mode) it raises the forget set's loss towards
 * the unseen people's, stops by itself once the loss attack no longer tells the two apart, keeps
 * the retain set, and takes the same decisions again for the same seed. Plus the hinge's gradient and the refusal without held-out documents.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/shared/errors.ts';
import { TrainingLog } from '../../src/shared/training.ts';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import { loadModel } from '../../src/worker/model/load.ts';
import { loadTokenizer } from '../../src/worker/model/tokenizer.ts';
import { makeBatch } from '../../src/worker/unlearn/batch.ts';
import { rowMeanNll, targetNllLoss } from '../../src/worker/unlearn/methods/targetnll.ts';
import { CALIBRATED_RULE } from '../../src/worker/unlearn/calibrated.ts';
import { readUnlearnInputs, runUnlearning } from '../../src/worker/tasks/unlearn.ts';
import { bundledLines, bundledTestbed, measure, type Testbed } from './testbed.ts';

const lines = bundledLines;

let dir: string;
let calibrationFile: string;
const bed: Testbed = bundledTestbed();

beforeAll(async () => {
  await selectBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'nepenthe-targetnll-'));
  calibrationFile = join(dir, 'calibration.jsonl');
  writeFileSync(calibrationFile, lines('holdout.jsonl').slice(0, 10).join('\n'));
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('targetnll on the bundled testbed, no config: calibrated mode', () => {
  it('forgets, keeps the retain set and stops once forget looks like unseen documents', async () => {
    const before = await measure(bed.modelDir, bed);
    expect(before.forgetExact).toBe(1);
    const out = join(dir, 'out');
    const request = {
      model: bed.modelDir,
      forget: bed.forgetFile,
      retain: bed.retainFile,
      calibration: calibrationFile,
      method: 'targetnll',
      out,
    };
    const inputs = await readUnlearnInputs(request);
    expect(inputs.config.calibrated).toBe('on');
    const report = await runUnlearning(request, inputs, { backend: 'wasm' });
    const log = TrainingLog.parse(JSON.parse(readFileSync(join(out, 'training.json'), 'utf8')));
    const decisions = log.calibration!.decisions;
    console.log(
      'targetnll',
      JSON.stringify({ stopped: log.stoppedEarly, steps: log.steps.length, decisions }),
    );
    // It stopped by itself, on its rule, before the planned last step.
    expect(log.stoppedEarly).toBeDefined();
    expect(report.stoppedEarly).toEqual(log.stoppedEarly);
    expect(log.steps.length).toBe(log.stoppedEarly!.step);
    expect(log.steps.length).toBeLessThan(log.totalSteps);
    expect(log.stoppedEarly!.reason).toMatch(/AUC/);
    // The record: a measurement before training, checks on the schedule, the stop last.
    expect(decisions[0]).toMatchObject({ step: 0, action: 'start', auc: 1 });
    expect(decisions.at(-1)!.action).toBe('stop');
    expect(decisions.at(-1)!.auc).toBeLessThanOrEqual(CALIBRATED_RULE.stopMargin + 0.5);
    const went = decisions.slice(1, -1).filter((d) => d.action !== 'backoff');
    expect(went.every((d) => d.auc > 0.5 + CALIBRATED_RULE.stopMargin)).toBe(true);
    for (const d of decisions.slice(1)) expect(d.step % log.calibration!.checkEvery).toBe(0);
    // τ: the calibration documents' loss under the original model, far above the forget set's.
    expect(log.steps[0]!.extra.targetNll).toBeGreaterThan(3);
    const after = await measure(out, bed);
    console.log('targetnll before/after', JSON.stringify({ before, after }));
    expect(after.forgetExact).toBeLessThanOrEqual(0.1);
    expect(after.retainExact).toBeGreaterThanOrEqual(0.9 * before.retainExact);
    expect(after.forgetNll).toBeGreaterThan(2);
  }, 240_000);

  it('decides the same way again for the same seed', async () => {
    const run = async (name: string) => {
      const request = {
        model: bed.modelDir,
        forget: bed.forgetFile,
        retain: bed.retainFile,
        calibration: calibrationFile,
        method: 'targetnll',
        out: join(dir, name),
      };
      await runUnlearning(request, await readUnlearnInputs(request), { backend: 'wasm' });
      const log = TrainingLog.parse(
        JSON.parse(readFileSync(join(dir, name, 'training.json'), 'utf8')),
      );
      return log.calibration!.decisions.map((d) => [d.step, d.action, d.lrScale]);
    };
    expect(await run('again-1')).toEqual(await run('again-2'));
  }, 240_000);
});

describe('the target-NLL hinge', () => {
  it('rows above the target give no gradient, rows below ascend on their own NLL', () => {
    const { model } = loadModel(bed.modelDir);
    try {
      const tokenizer = loadTokenizer(bed.modelDir);
      const ids = bed.forgetTexts
        .slice(0, 2)
        .map((t, i) => ({ id: `${i}`, ids: tokenizer.encode(t).slice(0, 24) }));
      const batch = makeBatch(ids, [0, 1]);
      const nll = rowMeanNll(model, batch).dataSync();
      const tau = (nll[0]! + nll[1]!) / 2; // row 0 or row 1 below, the other above
      const below = nll[0]! < tau ? 0 : 1;
      const wrt = model.params.get('transformer.wte.weight') ?? [...model.params.values()][0]!;
      const g = tf.variableGrads(() => targetNllLoss(model, batch, tau), [wrt]).grads[wrt.name]!;
      const single = makeBatch(ids, [below]);
      const expected = tf.variableGrads(
        () => rowMeanNll(model, single).mul(-0.5).sum() as tf.Scalar,
        [wrt],
      ).grads[wrt.name]!;
      const diff = tf.max(tf.abs(tf.sub(g, expected))).dataSync()[0]!;
      expect(diff).toBeLessThan(1e-5 * Math.max(1, tf.max(tf.abs(expected)).dataSync()[0]!));
      expect(tf.max(tf.abs(expected)).dataSync()[0]!).toBeGreaterThan(0);
      tf.dispose([g, expected]);
    } finally {
      model.dispose();
    }
  });
});

describe('without held-out documents', () => {
  it('is refused before any engine work, naming what to give', async () => {
    const request = {
      model: bed.modelDir,
      forget: bed.forgetFile,
      retain: bed.retainFile,
      method: 'targetnll',
      out: join(dir, 'refused'),
    };
    await expect(readUnlearnInputs(request)).rejects.toThrow(UserInputError);
    await expect(readUnlearnInputs(request)).rejects.toThrow(/--calibration/);
  });

  it('also as the base loss of sau', async () => {
    const config = join(dir, 'sau-targetnll.json');
    writeFileSync(config, JSON.stringify({ baseMethod: 'targetnll' }));
    const request = {
      model: bed.modelDir,
      forget: bed.forgetFile,
      retain: bed.retainFile,
      method: 'sau',
      config,
      out: join(dir, 'refused-sau'),
    };
    await expect(readUnlearnInputs(request)).rejects.toThrow(/--calibration/);
  });
});
