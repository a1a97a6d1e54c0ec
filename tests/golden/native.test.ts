/**
 * Golden numerics on the `native` backend (tensors as typed arrays outside any wasm heap, hot
 * kernels on the native addon), every fixture (fixtures.ts), tolerances as for every backend.
 */
import { FIXTURES } from './fixtures.ts';
import { goldenSuite } from './suite.ts';

goldenSuite('native', FIXTURES);
