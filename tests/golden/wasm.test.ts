/** Golden numerics on the `wasm` backend with the native CPU kernels (fused layers, BLAS), every fixture (fixtures.ts). */
import { FIXTURES } from './fixtures.ts';
import { goldenSuite } from './suite.ts';

goldenSuite('wasm', FIXTURES);
