/**
 * The command line of scripts/make-testbed.ts: the recipe options (seed, people, holdout,
 * tokenizer vocabulary, epochs), their defaults — the recipe of the shipped resources/testbed —
 * and the checks that turn a bad value into a message naming the option, the limit and why.
 * Apart from the script so that a test can parse argument lists without building a testbed.
 */
import { parseArgs } from 'node:util';

/** What a build may choose; everything else in the recipe is fixed (docs/testbed.md). */
export interface TestbedOptions {
  /** mulberry32 seed of the people, the splits, the QA probes, the initialization and the shuffles. */
  readonly seed: number;
  /** Training people (forget10 + retain). */
  readonly people: number;
  /** People never trained on; an audit splits them into calibration and evaluation halves. */
  readonly holdout: number;
  /** Byte-level BPE vocabulary size, the special token included. */
  readonly vocab: number;
  readonly epochs: number;
}

/** resources/testbed's recipe: a build with these options reproduces it file for file. */
export const DEFAULT_OPTIONS: TestbedOptions = {
  seed: 20250301,
  people: 100,
  holdout: 20,
  vocab: 1536,
  epochs: 40,
};

/**
 * Every person needs a distinct phone number in Ofcom's drama range +44 7700 900000–900999
 * (identifiers.ts), so one generation holds at most 1000 people.
 */
export const MAX_EVERYONE = 1000;
/** 256 byte tokens + `<|endoftext|>` + at least one merge (bpe-trainer.ts). */
export const MIN_VOCAB = 258;
export const MAX_VOCAB = 65_536;
export const MAX_EPOCHS = 1000;

export interface TestbedCommand {
  /** The output folder as given (resolved by the script), or null for resources/testbed. */
  readonly out: string | null;
  readonly qaOnly: boolean;
  readonly options: TestbedOptions;
  /** The recipe options given on the command line, in the order of `DEFAULT_OPTIONS`. */
  readonly given: readonly (keyof TestbedOptions)[];
}

/** A bad command line: the message says which option and what to do (exit 2). */
export class UsageError extends Error {}

const RECIPE_KEYS = Object.keys(DEFAULT_OPTIONS) as (keyof TestbedOptions)[];

function integer(name: string, raw: string, lo: number, hi: number, why: string): number {
  const value = /^\d+$/.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value)) {
    throw new UsageError(`--${name} ${raw}: not a whole number ≥ 0`);
  }
  if (value < lo || value > hi) {
    throw new UsageError(`--${name} ${raw}: must be ${lo}–${hi} (${why})`);
  }
  return value;
}

/** Parses and checks `argv` (the arguments after the script's path). */
export function parseTestbedArgs(argv: readonly string[]): TestbedCommand {
  let values: Record<string, string | boolean | undefined>;
  try {
    ({ values } = parseArgs({
      args: [...argv],
      strict: true,
      allowPositionals: false,
      options: {
        out: { type: 'string' },
        'qa-only': { type: 'boolean', default: false },
        seed: { type: 'string' },
        people: { type: 'string' },
        holdout: { type: 'string' },
        vocab: { type: 'string' },
        epochs: { type: 'string' },
      },
    }));
  } catch (error) {
    const known = '--out, --qa-only, --seed, --people, --holdout, --vocab, --epochs';
    throw new UsageError(`${(error as Error).message} (known options: ${known})`);
  }
  const raw = (key: keyof TestbedOptions) => values[key] as string | undefined;
  const given = RECIPE_KEYS.filter((key) => raw(key) !== undefined);
  const pick = (key: keyof TestbedOptions, lo: number, hi: number, why: string) => {
    const text = raw(key);
    return text === undefined ? DEFAULT_OPTIONS[key] : integer(key, text, lo, hi, why);
  };
  const options: TestbedOptions = {
    seed: pick('seed', 0, 0xffff_ffff, 'mulberry32 takes a 32-bit unsigned seed'),
    people: pick('people', 10, MAX_EVERYONE - 2, 'forget10 needs at least one of ten people'),
    holdout: pick('holdout', 2, MAX_EVERYONE - 10, 'calibration and evaluation need one each'),
    vocab: pick('vocab', MIN_VOCAB, MAX_VOCAB, '256 bytes + <|endoftext|> + at least one merge'),
    epochs: pick('epochs', 1, MAX_EPOCHS, 'a fixed number of passes over the biographies'),
  };
  if (options.people + options.holdout > MAX_EVERYONE) {
    throw new UsageError(
      `--people ${options.people} + --holdout ${options.holdout} > ${MAX_EVERYONE}: every person ` +
        `needs a distinct phone number in Ofcom's drama range (+44 7700 900000–900999)`,
    );
  }
  const out = typeof values.out === 'string' ? values.out : null;
  const qaOnly = values['qa-only'] === true;
  if (qaOnly && given.length > 0) {
    throw new UsageError(
      `--qa-only takes the recipe from the testbed's manifest.json; drop ${given.map((k) => `--${k}`).join(', ')}`,
    );
  }
  if (!qaOnly && out === null && RECIPE_KEYS.some((k) => options[k] !== DEFAULT_OPTIONS[k])) {
    throw new UsageError(
      'a recipe other than the defaults needs its own --out <dir>: resources/testbed is the shipped testbed',
    );
  }
  return { out, qaOnly, options, given };
}

/**
 * The command that rebuilds a testbed, as the manifest records it: the options that differ from
 * the defaults (so a default build records `npm run testbed` however it was spelled) and no paths.
 */
export function commandLine(options: TestbedOptions): string {
  const flags = RECIPE_KEYS.filter((key) => options[key] !== DEFAULT_OPTIONS[key]).map(
    (key) => `--${key} ${options[key]}`,
  );
  return flags.length === 0 ? 'npm run testbed' : `npm run testbed -- ${flags.join(' ')}`;
}
