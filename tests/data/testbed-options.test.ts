/**
 * make-testbed's command line (scripts/testbed-options.ts): the defaults are the shipped
 * testbed's recipe as its manifest records it, bad values fail with a message naming the option,
 * and the recorded command rebuilds the same recipe.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  commandLine,
  DEFAULT_OPTIONS,
  parseTestbedArgs,
  UsageError,
} from '../../scripts/testbed-options.ts';

const RESOURCES = join(import.meta.dirname, '..', '..', 'resources');

interface Manifest {
  command: string;
  seed: number;
  people: { training: number; holdout: number };
  tokenizer: { vocabSize: number };
  recipe: { epochs: number };
}
const manifestOf = (bed: string) =>
  JSON.parse(readFileSync(join(RESOURCES, bed, 'manifest.json'), 'utf8')) as Manifest;

const optionsOf = (m: Manifest) => ({
  seed: m.seed,
  people: m.people.training,
  holdout: m.people.holdout,
  vocab: m.tokenizer.vocabSize,
  epochs: m.recipe.epochs,
});

describe('make-testbed options', () => {
  it('default to the recipe resources/testbed records, and record `npm run testbed`', () => {
    const shipped = manifestOf('testbed');
    expect(DEFAULT_OPTIONS).toEqual(optionsOf(shipped));
    expect(parseTestbedArgs([]).options).toEqual(DEFAULT_OPTIONS);
    expect(commandLine(parseTestbedArgs(['--seed', '20250301']).options)).toBe(shipped.command);
  });

  it("resources/testbed-b's recorded command parses back to its recipe", () => {
    const b = manifestOf('testbed-b');
    const args = b.command.replace(/^npm run testbed -- /, '').split(' ');
    const parsed = parseTestbedArgs([...args, '--out', '/tmp/x']);
    expect(parsed.options).toEqual(optionsOf(b));
    expect(commandLine(parsed.options)).toBe(b.command);
  });

  it('refuse bad values with the option, the limit and why', () => {
    const fails = (args: string[], message: RegExp) => {
      expect(() => parseTestbedArgs(args)).toThrow(UsageError);
      expect(() => parseTestbedArgs(args)).toThrow(message);
    };
    const out = ['--out', '/tmp/x'];
    fails(['--vocab', '100', ...out], /--vocab 100: must be 258–65536 \(256 bytes/);
    fails(['--vocab', '2e3', ...out], /--vocab 2e3: not a whole number/);
    fails(['--holdout', '1', ...out], /--holdout 1: must be 2–/);
    fails(['--people', '9', ...out], /--people 9: must be 10–/);
    fails(
      ['--people', '900', '--holdout', '200', ...out],
      /> 1000: every person needs a distinct phone/,
    );
    fails(['--seed=-1', ...out], /--seed -1: not a whole number ≥ 0/);
    fails(['--epochs', '0', ...out], /--epochs 0: must be 1–/);
    fails(['--colour', 'red'], /Unknown option '--colour' \(known options: --out/);
    fails(['--qa-only', '--seed', '3'], /--qa-only takes the recipe from the testbed's manifest/);
    // Another recipe must not overwrite the shipped testbed.
    fails(['--seed', '7'], /needs its own --out/);
  });
});
