import { UserInputError } from '../../shared/errors.ts';
/**
 * How much to prune: an unstructured fraction, or an N:M pattern (N zeros in every M
 * consecutive inputs of each output; 2:4 is what sparse tensor cores accelerate).
 */
export type SparsityTarget =
  | { readonly kind: 'unstructured'; readonly fraction: number }
  | { readonly kind: 'nm'; readonly n: number; readonly m: number };

/** The fraction of weights a target zeroes. */
export function targetFraction(target: SparsityTarget): number {
  return target.kind === 'unstructured' ? target.fraction : target.n / target.m;
}

/** `2:4` for N:M targets, null for unstructured ones (the report's `pattern`). */
export function patternText(target: SparsityTarget): string | null {
  return target.kind === 'nm' ? `${target.n}:${target.m}` : null;
}

/**
 * How many of `size` entries a fraction zeroes: the nearest whole count (so 0.29 of 100 is 29,
 * not the 28 that flooring 28.999… would give).
 */
export function countFor(fraction: number, size: number): number {
  return Math.min(size, Math.max(0, Math.round(fraction * size)));
}

/**
 * The target from `--sparsity` / `--pattern` (exactly one): a fraction in (0, 1), or `N:M` with
 * 0 < N < M.
 */
export function parseTarget(
  sparsity: string | undefined,
  pattern: string | undefined,
): SparsityTarget {
  if ((sparsity === undefined) === (pattern === undefined))
    throw new UserInputError(
      undefined,
      'give exactly one of --sparsity <fraction> or --pattern <N:M>',
    );
  if (sparsity !== undefined) {
    const fraction = Number(sparsity);
    if (sparsity.trim() === '' || !Number.isFinite(fraction) || fraction <= 0 || fraction >= 1)
      throw new UserInputError(
        undefined,
        `--sparsity must be a fraction in (0, 1), got "${sparsity}"`,
      );
    return { kind: 'unstructured', fraction };
  }
  const match = /^(\d+):(\d+)$/.exec(pattern!.trim());
  const n = Number(match?.[1]);
  const m = Number(match?.[2]);
  if (match === null || !(n > 0 && n < m))
    throw new UserInputError(
      undefined,
      `--pattern must be N:M with 0 < N < M (e.g. 2:4), got "${pattern}"`,
    );
  return { kind: 'nm', n, m };
}
