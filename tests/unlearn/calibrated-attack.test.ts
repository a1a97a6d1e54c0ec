/**
 * Calibrated mode reads the attack the verdict judges by: its AUCs on the sequences an unlearning
 * run builds equal the metrics' own, as recomputed independently in PyTorch
 * (tests/fixtures/metrics-standard/testbed-recomputed.json: the bundled reference model, forget10
 * against all 20 holdout people) — the loss attack's and Min-K%'s (PrivLeak's attack).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import { loadModel } from '../../src/worker/model/load.ts';
import { membershipAttack } from '../../src/worker/unlearn/calibrated.ts';
import { readUnlearnInputs } from '../../src/worker/tasks/unlearn.ts';

const ROOT = join(import.meta.dirname, '..', '..');
const TESTBED = join(ROOT, 'resources', 'testbed');
const recomputed = JSON.parse(
  readFileSync(join(ROOT, 'tests/fixtures/metrics-standard/testbed-recomputed.json'), 'utf8'),
) as { referenceVsItself: { mia: Record<'loss' | 'minK', { auc: number }> } };

let dir: string;
beforeAll(async () => {
  await selectBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'nepenthe-calibrated-attack-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("calibrated mode's attacks on the testbed's reference model", () => {
  it('give the AUCs the metrics give (PyTorch recomputation)', async () => {
    const reference = join(TESTBED, 'reference');
    const inputs = await readUnlearnInputs({
      model: reference,
      forget: join(TESTBED, 'corpus', 'forget10.jsonl'),
      retain: join(TESTBED, 'corpus', 'retain.jsonl'),
      calibration: join(TESTBED, 'corpus', 'holdout.jsonl'),
      method: 'graddiff',
      out: join(dir, 'out'),
    });
    const { model } = loadModel(reference);
    try {
      const { forget, calibration } = inputs;
      expect([forget.length, calibration.length]).toEqual([10, 20]);
      const expected = recomputed.referenceVsItself.mia;
      for (const attack of ['loss', 'minK'] as const) {
        const { auc } = await membershipAttack(model, forget, calibration, 4, attack);
        expect(auc, attack).toBeCloseTo(expected[attack].auc, 12);
      }
      // The two attacks differ here, so the test tells them apart.
      expect(expected.loss.auc).not.toBe(expected.minK.auc);
    } finally {
      model.dispose();
    }
  }, 60_000);
});
