/**
 * `undial` (methods/undial.ts) on the bundled testbed (resources/testbed: a GPT-2 that recites
 * forget10 and retain): a short run with a retain term takes the forget set's greedy recitation
 * from 1 to at most 0.1 and keeps at least 90 % of the retain set's. The config is the testbed's,
 * not the defaults: the defaults are open-unlearning's for billion-parameter models (lr 1e-4,
 * α 0), and on this model lr 1e-4 for 15 steps leaves the recitation at 1 while α 0 costs most of
 * the retain set (bench/RESULTS.md "UNDIAL on the testbed"). β stays at its default 10; β 3
 * does not forget here at all: the original model's margin on a memorized token is larger than
 * 3, so the lowered token still leads the target distribution.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TrainingLog } from '../../src/shared/training.ts';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import { readUnlearnInputs, runUnlearning } from '../../src/worker/tasks/unlearn.ts';
import { bundledTestbed, measure, type Testbed } from './testbed.ts';

const bed: Testbed = bundledTestbed();

let dir: string;
beforeAll(async () => {
  await selectBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'nepenthe-undial-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('undial on the bundled testbed', () => {
  it('a short run lowers forget recitation and keeps the retain set', async () => {
    const before = await measure(bed.modelDir, bed);
    expect(before.forgetExact).toBe(1);
    const configFile = join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify({ lr: 1e-3, epochs: 5, batchSize: 4, alpha: 5 }));
    const out = join(dir, 'out');
    const request = {
      model: bed.modelDir,
      forget: bed.forgetFile,
      retain: bed.retainFile,
      method: 'undial',
      config: configFile,
      out,
    };
    const inputs = await readUnlearnInputs(request);
    expect(inputs.config).toMatchObject({ beta: 10, gamma: 1, alpha: 5, calibrated: 'off' });
    const report = await runUnlearning(request, inputs, { backend: 'wasm' });
    const log = TrainingLog.parse(JSON.parse(readFileSync(join(out, 'training.json'), 'utf8')));
    expect(log.steps).toHaveLength(report.totalSteps);
    expect(Object.keys(log.steps[0]!.terms).sort()).toEqual(['retainNll', 'undial']);
    const after = await measure(out, bed);
    console.log('undial before/after', JSON.stringify({ before, after, steps: report.steps }));
    expect(after.forgetExact).toBeLessThanOrEqual(0.1);
    expect(after.forgetNll).toBeGreaterThan(10 * before.forgetNll);
    expect(after.retainExact).toBeGreaterThanOrEqual(0.9 * before.retainExact);
    expect(after.retainNll).toBeLessThan(0.2);
  }, 240_000);

  it("with the reference's α = 0 it needs no retain set and trains the forget term alone", async () => {
    const out = join(dir, 'no-retain');
    const request = { model: bed.modelDir, forget: bed.forgetFile, method: 'undial', out };
    const inputs = await readUnlearnInputs(request);
    expect(inputs.config).toMatchObject({ alpha: 0, beta: 10, lr: 1e-4 });
    const report = await runUnlearning(request, inputs, { backend: 'wasm' });
    const log = TrainingLog.parse(JSON.parse(readFileSync(join(out, 'training.json'), 'utf8')));
    expect(log.steps).toHaveLength(report.totalSteps);
    expect(log.steps.every((s) => Object.keys(s.terms).join() === 'undial')).toBe(true);
    // Logged, not asserted: at lr 1e-4 for 15 steps this model barely moves.
    console.log('undial defaults, no retain set', JSON.stringify(await measure(out, bed)));
  }, 120_000);
});
