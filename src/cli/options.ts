/** Checked conversions of option strings; errors name the option. */
import { UserInputError } from '../shared/errors.ts';

export function positiveInteger(
  values: Readonly<Record<string, unknown>>,
  name: string,
  fallback?: number,
): number {
  const raw = values[name];
  if (raw === undefined) {
    if (fallback === undefined) throw new UserInputError(undefined, `--${name} is required`);
    return fallback;
  }
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n <= 0)
    throw new UserInputError(
      undefined,
      `--${name} must be a positive integer, got "${String(raw)}"`,
    );
  return n;
}

export function requiredString(values: Readonly<Record<string, unknown>>, name: string): string {
  const raw = values[name];
  if (typeof raw !== 'string' || raw === '')
    throw new UserInputError(undefined, `--${name} is required`);
  return raw;
}

/** An optional string option: undefined when absent, exit 2 when given without a value. */
export function optionalString(
  values: Readonly<Record<string, unknown>>,
  name: string,
): string | undefined {
  const raw = values[name];
  if (raw === undefined) return undefined;
  if (typeof raw !== 'string' || raw === '')
    throw new UserInputError(undefined, `--${name} needs a value`);
  return raw;
}
