/**
 * Pruning methods by name (CLI `--method`). An unknown name fails listing the known ones.
 * Each method only touches block linear weights (`matrices.ts`); see docs/pruning.md.
 */
import { UserInputError } from '../../shared/errors.ts';
import { magnitude } from './magnitude.ts';
import type { Pruner } from './pruner.ts';
import { wanda } from './wanda.ts';

export const PRUNERS: ReadonlyMap<string, Pruner> = new Map(
  [magnitude, wanda].map((p) => [p.name, p]),
);

export function prunerFor(name: string): Pruner {
  const pruner = PRUNERS.get(name);
  if (pruner === undefined)
    throw new UserInputError(
      undefined,
      `unknown --method "${name}"; known: ${[...PRUNERS.keys()].join(', ')}`,
    );
  return pruner;
}

export type { Pruner, PruneOptions } from './pruner.ts';
export type { SparsityTarget } from './target.ts';
export { inputNorms } from './activations.ts';
