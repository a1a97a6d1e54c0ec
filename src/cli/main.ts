/**
 * The `nepenthe` command (contract: DESIGN.md §5). Exit codes: 0 ok, 1 failure during work,
 * 2 bad input or usage — with a one-line reason naming the file, never a stack trace.
 */
import { parseArgs } from 'node:util';
import { BackendName } from '../shared/contracts.ts';
import { isUserInputError, UserInputError } from '../shared/errors.ts';
import { WorkerJobError } from '../main/worker-host/index.ts';
import type { Command, GlobalOptions, OptionSpec } from './command.ts';
import { COMMANDS } from './commands/index.ts';
import { stderrProgress } from './progress.ts';

const GLOBAL_OPTIONS: OptionSpec = {
  backend: { type: 'string', default: 'auto' },
  seed: { type: 'string', default: '0' },
  json: { type: 'boolean', default: false },
  help: { type: 'boolean', short: 'h', default: false },
};

const GLOBAL_HELP = `  --backend auto|webgpu|tensorflow|wasm|cpu   tensor backend (auto picks the fastest that works)
  --seed N                                     random seed (default 0)
  --json                                       print one JSON document on stdout`;

/** Loads every command for its summary: slow-ish, but only `--help` needs them all. */
export async function helpText(): Promise<string> {
  const commands = await Promise.all(COMMANDS.map((c) => c.load()));
  const width = Math.max(...commands.map((c) => c.name.length));
  const lines = commands.map((c) => `  ${c.name.padEnd(width)}  ${c.summary}`);
  return `nepenthe — unlearn documents from a local language model, and prove it

Usage: nepenthe <command> [options]

Commands:
${lines.join('\n')}

Global options:
${GLOBAL_HELP}

Run 'nepenthe <command> --help' for a command's options.`;
}

function commandHelp(command: Command): string {
  return `Usage: nepenthe ${command.usage}\n\n${command.summary}\n\nGlobal options:\n${GLOBAL_HELP}`;
}

export async function main(argv: readonly string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === '--help' || name === '-h' || name === 'help') {
    process.stdout.write(`${await helpText()}\n`);
    return name === undefined ? 2 : 0;
  }
  const entry = COMMANDS.find((c) => c.name === name);
  if (!entry) {
    process.stderr.write(
      `nepenthe: unknown command "${name}"; known: ${COMMANDS.map((c) => c.name).join(', ')}\n`,
    );
    return 2;
  }
  const command = await entry.load();
  const progress = stderrProgress();
  try {
    const parsed = parse(command, rest);
    if (parsed === 'help') {
      process.stdout.write(`${commandHelp(command)}\n`);
      return 0;
    }
    await command.run({
      ...parsed,
      progress,
      print: (document, human) => {
        process.stdout.write(parsed.global.json ? `${JSON.stringify(document)}\n` : `${human}\n`);
      },
    });
    progress.done();
    return 0;
  } catch (error) {
    progress.done();
    // Bad input found in this process, or by the worker (which checks its jobs too).
    if (isUserInputError(error) || (error instanceof WorkerJobError && error.exitCode === 2)) {
      process.stderr.write(`nepenthe ${command.name}: ${oneLine(error.message)}\n`);
      return 2;
    }
    const message = error instanceof Error ? error.message : String(error);
    process.stderr.write(`nepenthe ${command.name}: failed: ${oneLine(message)}\n`);
    if (process.env.NEPENTHE_DEBUG && error instanceof Error)
      process.stderr.write(`${error.stack}\n`);
    return 1;
  }
}

function oneLine(message: string): string {
  return message.replace(/\s*\n\s*/g, ' ').trim();
}

function parse(command: Command, args: readonly string[]) {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { ...GLOBAL_OPTIONS, ...command.options },
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    throw new UserInputError(
      undefined,
      `${(error as Error).message.split('. ')[0]}; see 'nepenthe ${command.name} --help'`,
    );
  }
  const values = parsed.values as Record<string, string | boolean | undefined>;
  if (values.help) return 'help' as const;
  const [min, max] =
    typeof command.positionals === 'number'
      ? [command.positionals, command.positionals]
      : command.positionals;
  if (parsed.positionals.length < min || parsed.positionals.length > max) {
    throw new UserInputError(undefined, `usage: nepenthe ${command.usage}`);
  }
  return { positionals: parsed.positionals, values, global: globalOptions(values) };
}

function globalOptions(values: Record<string, string | boolean | undefined>): GlobalOptions {
  const backend = BackendName.safeParse(values.backend);
  if (!backend.success) {
    throw new UserInputError(
      undefined,
      `unknown --backend "${String(values.backend)}"; use one of ${BackendName.options.join(', ')}`,
    );
  }
  const seed = Number(values.seed);
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new UserInputError(
      undefined,
      `--seed must be a non-negative integer, got "${String(values.seed)}"`,
    );
  return { backend: backend.data, seed, json: values.json === true };
}
