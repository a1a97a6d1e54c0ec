/**
 * The GPU check's test files in one script (bench/gpu/bundle.mjs bundles it with vitest replaced
 * by ./vitest-shim.ts): golden numerics on webgpu (GPT-2 tiny, the 128k-vocabulary Llama) and
 * the webgpu device tests. Exit status 1 when any test fails.
 */
import '../../tests/golden/webgpu.test.ts';
import '../../tests/golden/webgpu-128k.test.ts';
import '../../tests/engine/webgpu-device.test.ts';
import { runDeclared } from './vitest-shim.ts';

process.exitCode = (await runDeclared()) > 0 ? 1 : 0;
