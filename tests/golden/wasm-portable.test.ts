/**
 * Golden numerics on the portable `wasm` backend (native kernels off: the stock and routed wasm
 * kernels and the tfjs compositions of every layer), every fixture (see fixtures.ts).
 */
import { FIXTURES } from './fixtures.ts';
import { goldenSuite } from './suite.ts';

goldenSuite('wasm-portable', FIXTURES);
