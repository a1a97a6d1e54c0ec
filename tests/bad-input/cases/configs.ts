/** Bad command lines and run configurations. */
import type { CliCase } from '../corpus.ts';
import { TINY } from '../model-copy.ts';

export const CONFIG_CASES: CliCase[] = [
  {
    area: 'configs',
    name: 'unknown command',
    setup: () => ({ args: ['frobnicate'], mentions: ['unknown command "frobnicate"'] }),
  },
  {
    area: 'configs',
    name: 'unknown option',
    setup: () => ({ args: ['inspect', TINY, '--frob'], mentions: ["'--frob'"] }),
  },
  {
    area: 'configs',
    name: 'unknown backend',
    setup: () => ({ args: ['bench', '--backend', 'tpu'], mentions: ['unknown --backend "tpu"'] }),
  },
  {
    area: 'configs',
    name: 'unknown bench shape',
    setup: () => ({ args: ['bench', '--shape', 'huge'], mentions: ['unknown --shape "huge"'] }),
  },
];
