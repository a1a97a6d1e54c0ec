/**
 * Checkpoint replacement (src/worker/unlearn/checkpoint.ts): at every moment a complete
 * checkpoint exists. A save cut short between its two renames leaves only `<folder>.previous`,
 * which is what a resume then reads.
 */
import { existsSync, mkdtempSync, renameSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  hasCheckpoint,
  restoreCheckpoint,
  saveCheckpoint,
} from '../../src/worker/unlearn/checkpoint.ts';
import { AdamW } from '../../src/worker/unlearn/optim/adamw.ts';

let dir: string;
beforeAll(async () => {
  await tf.setBackend('cpu');
  dir = mkdtempSync(join(tmpdir(), 'nepenthe-checkpoint-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const state = (step: number) => ({ version: 1 as const, fingerprint: 'f', step, records: [] });

describe('checkpoint replacement', () => {
  it('replaces a checkpoint leaving no .previous, and resumes from .previous after a cut', async () => {
    const folder = join(dir, 'checkpoint');
    const w = tf.variable(tf.tensor1d([1, 2, 3]), true, 'ckpt-w');
    const params = new Map([['w', w]]);
    const optimizer = new AdamW({ lr: 0.1 });
    await saveCheckpoint(folder, state(1), params, optimizer);
    w.assign(tf.tensor1d([4, 5, 6]));
    await saveCheckpoint(folder, state(2), params, optimizer);
    expect(existsSync(`${folder}.previous`)).toBe(false);
    expect(existsSync(`${folder}.partial`)).toBe(false);

    // A kill between "old → .previous" and "new → folder": only .previous is complete.
    renameSync(folder, `${folder}.previous`);
    expect(hasCheckpoint(folder)).toBe(true);
    w.assign(tf.tensor1d([0, 0, 0]));
    const restored = restoreCheckpoint(folder, 'f', params, optimizer);
    expect(restored.step).toBe(2);
    expect(Array.from(w.dataSync())).toEqual([4, 5, 6]);

    // The next save puts a complete checkpoint back in place and removes .previous.
    await saveCheckpoint(folder, state(3), params, optimizer);
    expect(hasCheckpoint(folder)).toBe(true);
    expect(existsSync(`${folder}.previous`)).toBe(false);
    w.dispose();
    optimizer.dispose();
  });
});
