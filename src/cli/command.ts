/** One `nepenthe` subcommand: its options (node:util parseArgs form), help and entry point. */
import type { ParseArgsConfig } from 'node:util';
import type { BackendName } from '../shared/contracts.ts';
import type { Progress } from './progress.ts';

export type OptionSpec = NonNullable<ParseArgsConfig['options']>;

export interface GlobalOptions {
  readonly backend: BackendName;
  readonly seed: number;
  readonly json: boolean;
}

export interface CommandContext {
  readonly positionals: readonly string[];
  readonly values: Readonly<Record<string, string | boolean | undefined>>;
  readonly global: GlobalOptions;
  readonly progress: Progress;
  /** Prints the command's result: the JSON document with --json, else the human text. */
  readonly print: (document: unknown, human: string) => void;
}

export interface Command {
  readonly name: string;
  readonly usage: string;
  readonly summary: string;
  readonly options: OptionSpec;
  /** Positional arguments: exact count, or [min, max]. */
  readonly positionals: number | readonly [number, number];
  run(context: CommandContext): Promise<void>;
}
