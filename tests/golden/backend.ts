/**
 * Test helper: switch tfjs to a named backend through the engine's own selection, so the golden
 * tests run exactly what users run (native: tfjs-cpu storage with the native kernels; wasm with its
 * registered kernels and the native CPU kernels;
 * webgpu through Dawn, on SwiftShader when there is no GPU). `wasm-portable` is the wasm backend
 * with the native kernels switched off: what runs where the addon or a BLAS is missing.
 */
import { selectBackend } from '../../src/worker/engine/backend.ts';
import { loadNativeAddon } from '../../src/worker/engine/native/addon.ts';
import { useNativeKernels } from '../../src/worker/engine/wasm-kernels/index.ts';
import { nativeAddon } from '../../src/worker/engine/wasm-kernels/native-active.ts';

export type TestBackend = 'cpu' | 'native' | 'wasm' | 'wasm-portable' | 'webgpu';

export async function useBackend(name: TestBackend): Promise<void> {
  const swiftshader = process.env.NEPENTHE_SWIFTSHADER !== '0';
  if (name === 'wasm-portable') {
    await selectBackend('wasm', { swiftshader });
    useNativeKernels(null);
    return;
  }
  await selectBackend(name, { swiftshader });
  if (name === 'wasm' && nativeAddon() === null) {
    const status = loadNativeAddon(1);
    throw new Error(
      `the wasm golden tests need the native kernels: ${status.ok ? 'not activated' : status.reason}`,
    );
  }
}
