/**
 * selectBackend on this machine: cpu and wasm always start; tensorflow only where the optional
 * tfjs-node packages are installed; auto explains its choice. (webgpu on SwiftShader has its own
 * file: Dawn's driver choice is fixed per process.)
 */
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs';
import { describe, expect, it } from 'vitest';
import { loadNativeAddon } from '../../src/worker/engine/native/addon.ts';
import { autoOrder, selectBackend, WASM_PREFERRED_BYTES } from '../../src/worker/engine/backend.ts';
import { UserInputError } from '../../src/shared/errors.ts';

const require = createRequire(import.meta.url);
const installed = (pkg: string) => {
  try {
    require.resolve(pkg);
    return true;
  } catch {
    return false;
  }
};
const hasTfjsNode = installed('@tensorflow/tfjs-node-gpu') || installed('@tensorflow/tfjs-node');

/** A small product every backend must get right: [[1,2],[3,4]] · [[5,6],[7,8]]. */
async function smallProduct(): Promise<number[]> {
  const product = tf.tidy(() =>
    tf.matMul(
      tf.tensor2d([
        [1, 2],
        [3, 4],
      ]),
      tf.tensor2d([
        [5, 6],
        [7, 8],
      ]),
    ),
  );
  const values = Array.from(await product.data());
  product.dispose();
  return values;
}

describe('selectBackend', () => {
  it.each(['cpu', 'wasm'] as const)('starts %s when asked, and runs an op on it', async (name) => {
    const selected = await selectBackend(name, { swiftshader: false });
    expect(selected.name).toBe(name);
    expect(selected.reason).toMatch(/^requested/);
    expect(tf.getBackend()).toBe(name);
    expect(await smallProduct()).toEqual([19, 22, 43, 50]);
  });

  it.skipIf(hasTfjsNode)(
    'explains that tensorflow needs the optional tfjs-node packages',
    async () => {
      const attempt = selectBackend('tensorflow', { swiftshader: false });
      await expect(attempt).rejects.toBeInstanceOf(UserInputError);
      await expect(attempt).rejects.toThrow(
        /backend "tensorflow" is not available: @tensorflow\/tfjs-node-gpu is not installed, @tensorflow\/tfjs-node is not installed/,
      );
    },
  );

  it.skipIf(!hasTfjsNode)('starts tensorflow where tfjs-node is installed', async () => {
    expect((await selectBackend('tensorflow')).name).toBe('tensorflow');
    expect(await smallProduct()).toEqual([19, 22, 43, 50]);
  });

  it('auto picks the fastest backend that works and says why it passed over the others', async () => {
    const selected = await selectBackend('auto', { swiftshader: false });
    expect(tf.getBackend()).toBe(selected.name);
    expect(selected.reason).toMatch(new RegExp(`^auto: ${selected.name}`));
    expect(await smallProduct()).toEqual([19, 22, 43, 50]);
    if (selected.name === 'webgpu') {
      expect(selected.adapter?.software).toBe(false);
      return;
    }
    expect(selected.reason).toMatch(/webgpu skipped: /);
    if (hasTfjsNode) return;
    // With the addon built (npm test builds it), the native CPU backend: tensors in RAM.
    const native = loadNativeAddon(1);
    expect(selected.name).toBe(native.ok ? 'native' : 'wasm');
    expect(selected.reason).toMatch(/tensorflow skipped: .*not installed/);
  });

  it('auto prefers wasm + native kernels for a run whose tensors fit well inside the heap', async () => {
    expect(autoOrder(undefined)).toEqual(['webgpu', 'tensorflow', 'native', 'wasm', 'cpu']);
    expect(autoOrder(WASM_PREFERRED_BYTES + 1)).toEqual(autoOrder(undefined));
    expect(autoOrder(WASM_PREFERRED_BYTES)).toEqual([
      'webgpu',
      'tensorflow',
      'wasm',
      'native',
      'cpu',
    ]);
    if (hasTfjsNode || !loadNativeAddon(1).ok) return;
    const small = await selectBackend('auto', { swiftshader: false, wasmTensorBytes: 2 ** 28 });
    expect(small.name).toBe('wasm');
    expect(small.reason).toMatch(
      /products on .*the run's tensors \(about 0\.25 GiB\) fit its heap/,
    );
    const big = await selectBackend('auto', { swiftshader: false, wasmTensorBytes: 2 ** 33 });
    expect(big.name).toBe('native');
  });

  it('auto falls back to wasm when the native addon is off', async () => {
    // A child process: the addon's load state is per process.
    const { spawnSync } = await import('node:child_process');
    const script =
      "import { selectBackend } from './src/worker/engine/backend.ts';" +
      "const s = await selectBackend('auto', { swiftshader: false }); console.log(s.name);";
    const result = spawnSync(
      process.execPath,
      ['--import', 'tsx', '--input-type=module', '-e', script],
      {
        env: { ...process.env, NEPENTHE_NATIVE_ADDON: 'off' },
        encoding: 'utf8',
      },
    );
    expect(result.stdout.trim().split('\n').at(-1)).toMatch(hasTfjsNode ? /./ : /^wasm$/);
  }, 60_000);

  it('refuses webgpu without a GPU, pointing at SwiftShader', async () => {
    const attempt = selectBackend('webgpu', { swiftshader: false });
    const outcome = await attempt.then(
      (selected) => selected,
      (error: unknown) => error,
    );
    if (outcome instanceof Error) {
      expect(outcome).toBeInstanceOf(UserInputError);
      expect(outcome.message).toMatch(
        /backend "webgpu" is not available: .*NEPENTHE_SWIFTSHADER=1/,
      );
    } else {
      expect(outcome).toMatchObject({ name: 'webgpu' }); // a machine with a GPU
    }
  });
});
