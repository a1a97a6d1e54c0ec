/** The unlearning methods by name (CLI `--method`, the app's presets). One module each. */
import { UserInputError } from '../../../shared/errors.ts';
import type { UnlearningMethod } from '../method.ts';
import { bounded } from './bounded.ts';
import { ga } from './ga.ts';
import { graddiff } from './graddiff.ts';
import { kl } from './kl.ts';
import { npo } from './npo.ts';
import { sau } from './sau.ts';
import { sga } from './sga.ts';
import { simnpo } from './simnpo.ts';
import { targetnll } from './targetnll.ts';
import { undial } from './undial.ts';

export const METHODS: ReadonlyMap<string, UnlearningMethod> = new Map(
  [ga, graddiff, kl, npo, simnpo, undial, targetnll, sga, sau, bounded].map((m) => [m.name, m]),
);

export function methodNamed(name: string): UnlearningMethod {
  const method = METHODS.get(name);
  if (!method)
    throw new UserInputError(
      undefined,
      `unknown method "${name}"; known: ${[...METHODS.keys()].join(', ')}`,
    );
  return method;
}
