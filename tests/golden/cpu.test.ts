/** Golden numerics on the `cpu` backend, every fixture (see golden.ts for the tolerance). */
import { FIXTURES } from './fixtures.ts';
import { goldenSuite } from './suite.ts';

goldenSuite('cpu', FIXTURES);
