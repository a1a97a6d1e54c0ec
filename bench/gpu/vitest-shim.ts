/**
 * The part of vitest's API the GPU check's test files use (describe, it, their skipIf,
 * beforeAll/afterAll, expect with the matchers below), so that bench/gpu/bundle.mjs can bundle
 * those files into one script that runs under a bare Node on a GPU machine: vitest and its
 * dependencies would not fit the device's 64 MiB carry. Tests run one after another in
 * declaration order; a failed expectation fails its test, and the run exits 1 if any did.
 * Only for that bundle: the project's tests run under vitest itself.
 */
import { isDeepStrictEqual, inspect } from 'node:util';

type Body = () => unknown;
interface Test {
  readonly name: string;
  readonly body: Body;
}
interface Suite {
  readonly name: string;
  readonly tests: Test[];
  readonly before: Body[];
  readonly after: Body[];
  readonly children: Suite[];
  readonly skipped: boolean;
}

const root: Suite = { name: '', tests: [], before: [], after: [], children: [], skipped: false };
let current = root;

function addSuite(name: string, body: Body, skipped: boolean): void {
  const suite: Suite = { name, tests: [], before: [], after: [], children: [], skipped };
  current.children.push(suite);
  const parent = current;
  current = suite;
  try {
    void body();
  } finally {
    current = parent;
  }
}

export const describe = Object.assign((name: string, body: Body) => addSuite(name, body, false), {
  skipIf:
    (condition: unknown) =>
    (name: string, body: Body): void =>
      addSuite(name, body, Boolean(condition)),
});

export const it = Object.assign(
  (name: string, body: Body, _timeout?: number) => {
    current.tests.push({ name, body });
  },
  {
    skipIf:
      (condition: unknown) =>
      (name: string, body: Body, _timeout?: number): void => {
        if (!condition) current.tests.push({ name, body });
      },
  },
);
export const test = it;

export function beforeAll(body: Body): void {
  current.before.push(body);
}

export function afterAll(body: Body): void {
  current.after.push(body);
}

class ExpectationError extends Error {}

function fail(message: string | undefined, detail: string): never {
  throw new ExpectationError(message ? `${message}: ${detail}` : detail);
}

const show = (x: unknown) => inspect(x, { depth: 4, breakLength: 120 });

function throwsLike(error: unknown, expected?: unknown): boolean {
  if (expected === undefined) return true;
  const message = error instanceof Error ? error.message : String(error);
  if (expected instanceof RegExp) return expected.test(message);
  if (typeof expected === 'string') return message.includes(expected);
  if (typeof expected === 'function') return error instanceof expected;
  return false;
}

function matchers(actual: unknown, message: string | undefined, negated: boolean) {
  const check = (ok: boolean, detail: string) => {
    if (ok === negated) fail(message, `${negated ? 'not ' : ''}${detail}`);
  };
  return {
    toBe: (expected: unknown) =>
      check(Object.is(actual, expected), `expected ${show(actual)} to be ${show(expected)}`),
    toEqual: (expected: unknown) =>
      check(
        isDeepStrictEqual(actual, expected),
        `expected ${show(actual)} to equal ${show(expected)}`,
      ),
    toBeGreaterThan: (n: number) =>
      check((actual as number) > n, `expected ${show(actual)} to be greater than ${n}`),
    toBeLessThan: (n: number) =>
      check((actual as number) < n, `expected ${show(actual)} to be less than ${n}`),
    toBeLessThanOrEqual: (n: number) =>
      check((actual as number) <= n, `expected ${show(actual)} to be at most ${n}`),
    toHaveLength: (n: number) =>
      check(
        (actual as { length: number }).length === n,
        `expected length ${(actual as { length: number }).length} to be ${n}`,
      ),
    toThrow: (expected?: unknown) => {
      let thrown: { error: unknown } | null = null;
      try {
        (actual as () => unknown)();
      } catch (error) {
        thrown = { error };
      }
      check(
        thrown !== null && throwsLike(thrown.error, expected),
        `expected a throw matching ${show(expected)}, got ${thrown ? show(thrown.error) : 'none'}`,
      );
    },
  };
}

export function expect(actual: unknown, message?: string) {
  return {
    ...matchers(actual, message, false),
    not: matchers(actual, message, true),
    rejects: {
      toThrow: async (expected?: unknown) => {
        let thrown: { error: unknown } | null = null;
        try {
          await (actual as Promise<unknown>);
        } catch (error) {
          thrown = { error };
        }
        if (thrown === null || !throwsLike(thrown.error, expected))
          fail(
            message,
            `expected a rejection matching ${show(expected)}, got ${thrown ? show(thrown.error) : 'a value'}`,
          );
      },
    },
  };
}

/** Runs everything declared so far; resolves to the number of failed tests. */
export async function runDeclared(log: (line: string) => void = console.log): Promise<number> {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  const count = (s: Suite): number => s.tests.length + s.children.reduce((n, c) => n + count(c), 0);
  const run = async (suite: Suite, path: string): Promise<void> => {
    const here = suite.name ? (path ? `${path} > ${suite.name}` : suite.name) : path;
    if (suite.skipped) {
      skipped += count(suite);
      log(`↓ ${here} (skipped)`);
      return;
    }
    try {
      for (const hook of suite.before) await hook();
    } catch (error) {
      failed += count(suite);
      log(`✗ ${here}: beforeAll failed: ${error instanceof Error ? error.message : show(error)}`);
      return;
    }
    for (const t of suite.tests) {
      const started = performance.now();
      try {
        await t.body();
        passed++;
        log(`✓ ${here} > ${t.name} (${Math.round(performance.now() - started)} ms)`);
      } catch (error) {
        failed++;
        log(`✗ ${here} > ${t.name}: ${error instanceof Error ? error.message : show(error)}`);
      }
    }
    for (const child of suite.children) await run(child, here);
    for (const hook of suite.after) await hook();
  };
  await run(root, '');
  log(`Tests ${passed} passed, ${failed} failed, ${skipped} skipped`);
  return failed;
}
