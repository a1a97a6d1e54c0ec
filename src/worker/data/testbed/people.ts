/**
 * The testbed's fictitious people (DESIGN.md §7, like TOFU's fictitious authors): each with a
 * name, email, phone, postal address, employer, job, medical condition, date of birth, national
 * id and IBAN. Every choice comes from one mulberry32 stream, so the same seed gives the same
 * people; names, phone numbers, ids and IBANs are distinct across everyone generated together.
 */
import { mulberry32 } from '../prng.ts';
import { dateOfBirthFor, ibanFor, nationalIdFor, phoneFor } from './identifiers.ts';
import {
  CODAS,
  CONDITIONS,
  EMPLOYER_KINDS,
  JOBS,
  ONSETS,
  STREET_KINDS,
  VOWELS,
} from './vocabulary.ts';

export interface TestbedPerson {
  /** Position in the generated list (0-based). */
  readonly id: number;
  readonly first: string;
  readonly last: string;
  /** `first last`. */
  readonly name: string;
  readonly email: string;
  readonly phone: string;
  readonly address: string;
  readonly job: string;
  readonly employer: string;
  readonly condition: string;
  /** "12 March 1985". */
  readonly dateOfBirth: string;
  /** ddd-dd-dddd. */
  readonly nationalId: string;
  /** Grouped by four, valid check digits. */
  readonly iban: string;
}

const capital = (w: string): string => w[0]!.toUpperCase() + w.slice(1);

/** `count` people from `seed`. */
export function generatePeople(count: number, seed: number): TestbedPerson[] {
  const rand = mulberry32(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const used = new Set<string>();
  /** A value `make` has not produced before in this generation (redrawn until it is new). */
  const fresh = (make: () => string): string => {
    for (;;) {
      const value = make();
      if (!used.has(value)) {
        used.add(value);
        return value;
      }
    }
  };
  const word = (syllables: number) => () => {
    let w = '';
    for (let i = 0; i < syllables; i++) w += pick(ONSETS) + pick(VOWELS);
    return capital(w + pick(CODAS));
  };

  const people: TestbedPerson[] = [];
  for (let id = 0; id < count; id++) {
    const first = fresh(word(2));
    const last = fresh(word(3));
    const street = `${1 + Math.floor(rand() * 98)} ${fresh(word(2))} ${pick(STREET_KINDS)}`;
    const town = fresh(word(2));
    people.push({
      id,
      first,
      last,
      name: `${first} ${last}`,
      email: `${first.toLowerCase()}.${last.toLowerCase()}@example.org`,
      phone: fresh(() => phoneFor(rand)),
      address: `${street}, ${town}`,
      job: pick(JOBS),
      employer: `${fresh(word(2))} ${pick(EMPLOYER_KINDS)}`,
      condition: pick(CONDITIONS),
      dateOfBirth: dateOfBirthFor(rand),
      nationalId: fresh(() => nationalIdFor(rand)),
      iban: fresh(() => ibanFor(rand)),
    });
  }
  return people;
}
