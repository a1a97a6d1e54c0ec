/**
 * The testbed's splits (DESIGN.md §7): `people` training people and `holdout` more who are never
 * trained on. Forget sets are nested prefixes of one seeded shuffle of the training people —
 * forget01 ⊂ forget05 ⊂ forget10 (1%, 5%, 10%, at least one person each) — and retain is every
 * training person outside forget10.
 */
import { mulberry32 } from '../prng.ts';
import { generatePeople, type TestbedPerson } from './people.ts';

export const DEFAULT_PEOPLE = 100;
export const DEFAULT_HOLDOUT = 20;

export interface TestbedSplits {
  readonly forget01: readonly TestbedPerson[];
  readonly forget05: readonly TestbedPerson[];
  readonly forget10: readonly TestbedPerson[];
  readonly retain: readonly TestbedPerson[];
  readonly holdout: readonly TestbedPerson[];
}

export const SPLIT_NAMES = ['forget01', 'forget05', 'forget10', 'retain', 'holdout'] as const;
export type SplitName = (typeof SPLIT_NAMES)[number];

export interface SplitOptions {
  readonly seed: number;
  readonly people?: number;
  readonly holdout?: number;
}

export function testbedSplits(options: SplitOptions): TestbedSplits {
  const { seed, people = DEFAULT_PEOPLE, holdout = DEFAULT_HOLDOUT } = options;
  if (!(Number.isInteger(people) && people >= 10 && Number.isInteger(holdout) && holdout >= 1)) {
    throw new RangeError(
      `testbed: need ≥ 10 training people and ≥ 1 holdout, got ${people}, ${holdout}`,
    );
  }
  const everyone = generatePeople(people + holdout, seed);
  const training = everyone.slice(0, people);
  // Fisher–Yates on its own stream, so the order does not depend on how people were drawn.
  const rand = mulberry32(seed ^ 0x5eed);
  const order = [...training];
  for (let i = order.length - 1; i > 0; i--) {
    const j = Math.floor(rand() * (i + 1));
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  const share = (percent: number) => Math.max(1, Math.round((people * percent) / 100));
  const byId = (a: TestbedPerson, b: TestbedPerson) => a.id - b.id;
  const forget10 = order.slice(0, share(10));
  const inForget = new Set(forget10);
  return {
    forget01: order.slice(0, share(1)).sort(byId),
    forget05: order.slice(0, share(5)).sort(byId),
    forget10: [...forget10].sort(byId),
    retain: training.filter((p) => !inForget.has(p)),
    holdout: everyone.slice(people),
  };
}
