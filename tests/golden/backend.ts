/**
 * Test helper: switch tfjs to a named backend through the engine's own selection, so the golden
 * tests run exactly what users run (wasm with its registered kernels; webgpu through Dawn, on
 * SwiftShader when there is no GPU).
 */
import { selectBackend } from '../../src/worker/engine/backend.ts';

export type TestBackend = 'cpu' | 'wasm' | 'webgpu';

export async function useBackend(name: TestBackend): Promise<void> {
  await selectBackend(name, { swiftshader: process.env.NEPENTHE_SWIFTSHADER !== '0' });
}
