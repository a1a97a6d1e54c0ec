/**
 * The webgpu backend on SwiftShader (Vulkan on the CPU, from Debian's chromium package): the real
 * WGSL kernels, run where there is no GPU. Its own file because Dawn reads the Vulkan driver list
 * once per process. Skipped only where SwiftShader is not installed (scripts/install-system-deps.sh
 * installs it for the test suite).
 */
import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import { floats, relativeError, valueAndGrads } from './compare.ts';
import { haveSwiftShader } from './swiftshader.ts';
import { toyTraining } from './toy-training.ts';

describe.skipIf(!haveSwiftShader)('webgpu on SwiftShader', () => {
  it('starts on the SwiftShader adapter through an ICD copy with an absolute library path', async () => {
    const selected = await selectBackend('webgpu', { swiftshader: true });
    expect(selected.name).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(selected.adapter).toMatchObject({ architecture: 'swiftshader', software: true });
    expect(selected.reason).toMatch(/^requested; software adapter .*swiftshader/i);
    const icd = JSON.parse(readFileSync(process.env.VK_ICD_FILENAMES!, 'utf8'));
    expect(isAbsolute(icd.ICD.library_path)).toBe(true);
    expect(existsSync(icd.ICD.library_path)).toBe(true);
  });

  it('sums 53 tensors with AddN (more than the 8 storage buffers a shader stage may bind)', async () => {
    await selectBackend('webgpu', { swiftshader: true });
    const parts = Array.from({ length: 53 }, (_, i) => tf.fill([4, 3], i + 1));
    const sum = tf.addN(parts);
    expect(Array.from(await sum.data())).toEqual(new Array(12).fill((53 * 54) / 2));
    tf.dispose([...parts, sum]);
  });

  it('computes an embedding + matMul + logSoftmax loss and its gradients as cpu does', async () => {
    const ids = () => tf.tensor1d([3, 1, 3, 0, 5], 'int32');
    const loss = (wte: tf.Tensor, head: tf.Tensor) =>
      tf
        .logSoftmax(tf.gather(wte, ids()).matMul(head))
        .mul(tf.range(0, 35).reshape([5, 7]))
        .sum() as tf.Scalar;
    const inputs = [
      { data: floats(6 * 4, 1), shape: [6, 4] },
      { data: floats(4 * 7, 2), shape: [4, 7] },
    ];
    await selectBackend('cpu');
    const reference = await valueAndGrads(loss, inputs);
    await selectBackend('webgpu', { swiftshader: true });
    const actual = await valueAndGrads(loss, inputs);
    expect(actual.value).toBeCloseTo(reference.value, 3);
    reference.grads.forEach((g, i) =>
      expect(relativeError(g, actual.grads[i]!)).toBeLessThan(1e-4),
    );
  });

  it('keeps memory flat over 50 training steps', async () => {
    await selectBackend('webgpu', { swiftshader: true });
    const { losses, tensors } = await toyTraining(50);
    expect(new Set(tensors.slice(1)).size).toBe(1);
    expect(losses[49]!).toBeLessThan(0.5 * losses[0]!);
  });

  it('is passed over by auto: a software adapter is slower than wasm', async () => {
    const selected = await selectBackend('auto', { swiftshader: true });
    expect(selected.name).not.toBe('webgpu');
    expect(selected.reason).toMatch(/webgpu skipped: only a software adapter \(google swiftshader/);
  });
});
