/**
 * Memory discipline (DESIGN.md §3): a training loop must hold the same number of tensors at step
 * 50 as at step 2 (step 1 creates the optimizer's moment estimates).
 */
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import { toyTraining } from './toy-training.ts';

describe('a 50-step training loop keeps memory flat', () => {
  it.each(['cpu', 'wasm'] as const)('on %s', async (backend) => {
    await selectBackend(backend, { swiftshader: false });
    const { losses, tensors } = await toyTraining(50);
    expect(tensors[49]).toBe(tensors[1]);
    expect(new Set(tensors.slice(1)).size).toBe(1);
    expect(losses[49]!).toBeLessThan(0.5 * losses[0]!);
  });

  it('gives the same losses on wasm as on cpu', async () => {
    await selectBackend('cpu');
    const cpu = await toyTraining(10);
    await selectBackend('wasm');
    const wasm = await toyTraining(10);
    wasm.losses.forEach((loss, i) => expect(loss).toBeCloseTo(cpu.losses[i]!, 4));
  });
});
