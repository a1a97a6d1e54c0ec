/** Golden numerics on the `wasm` backend, every fixture (see golden.ts for the tolerance). */
import { FIXTURES } from './fixtures.ts';
import { goldenSuite } from './suite.ts';

goldenSuite('wasm', FIXTURES);
