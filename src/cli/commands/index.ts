/** Every `nepenthe` subcommand, in the order `--help` lists them. */
import type { Command } from '../command.ts';
import { audit } from './audit.ts';
import { bench } from './bench.ts';
import { demo } from './demo.ts';
import { evalCommand } from './eval.ts';
import { generate } from './generate.ts';
import { inspect } from './inspect.ts';
import { prune } from './prune.ts';
import { score } from './score.ts';
import { unlearn } from './unlearn.ts';

export const COMMANDS: readonly Command[] = [
  inspect,
  score,
  generate,
  prune,
  unlearn,
  evalCommand,
  audit,
  demo,
  bench,
];
