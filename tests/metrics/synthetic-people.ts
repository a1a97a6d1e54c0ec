/**
 * Synthetic records of fictitious people for the trained-model eval test: each record names a
 * person, gives an email (`first.last@example.org`), an international phone number that
 * `detectPii` takes (`+44 20 7946 dddd`, 12 digits), and a few random attributes. Names are
 * built from syllables by a seeded PRNG, so they belong to no one; every choice comes from the
 * seed, so the same seed gives the same records.
 */

import { mulberry32 } from '../../src/worker/data/prng.ts';

export { mulberry32 };

const ONSETS = ['b', 'd', 'f', 'g', 'k', 'l', 'm', 'n', 'p', 'r', 's', 't', 'v', 'z', 'br', 'tr'];
const VOWELS = ['a', 'e', 'i', 'o', 'u', 'ai', 'ou'];
const CODAS = ['', '', 'n', 'r', 's', 'l', 'x'];
const JOBS = [
  'glassblower',
  'beekeeper',
  'cartographer',
  'locksmith',
  'violin maker',
  'tram driver',
  'botanist',
  'clockmaker',
  'ferry pilot',
  'bookbinder',
  'stonemason',
  'radio engineer',
];
const HOBBIES = [
  'kayaking',
  'chess problems',
  'birdwatching',
  'pottery',
  'marathon running',
  'origami',
  'astronomy',
  'fencing',
  'beekeeping',
  'knitting',
  'rock climbing',
  'calligraphy',
];
const OBJECTS = [
  'brass compasses',
  'old maps',
  'tin soldiers',
  'seashells',
  'vinyl records',
  'pocket watches',
  'fountain pens',
  'postcards',
];
const ALLERGIES = ['walnuts', 'penicillin', 'cats', 'pollen', 'shellfish', 'latex', 'dust'];

export interface Person {
  readonly first: string;
  readonly last: string;
  readonly email: string;
  readonly phone: string;
  readonly text: string;
}

/** `count` records with distinct first and last names, all from `seed`. */
export function syntheticPeople(count: number, seed: number): Person[] {
  const rand = mulberry32(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const word = (syllables: number): string => {
    let w = '';
    for (let i = 0; i < syllables; i++) w += pick(ONSETS) + pick(VOWELS);
    return w + pick(CODAS);
  };
  const capital = (w: string): string => w[0]!.toUpperCase() + w.slice(1);
  const used = new Set<string>();
  const fresh = (syllables: number): string => {
    for (;;) {
      const w = word(syllables);
      if (!used.has(w)) {
        used.add(w);
        return w;
      }
    }
  };
  const digits = (n: number): string =>
    Array.from({ length: n }, () => String(Math.floor(rand() * 10))).join('');

  const people: Person[] = [];
  for (let i = 0; i < count; i++) {
    const first = capital(fresh(2));
    const last = capital(fresh(3));
    const email = `${first.toLowerCase()}.${last.toLowerCase()}@example.org`;
    const phone = `+44 20 7946 ${digits(4)}`;
    const city = capital(fresh(2));
    const text =
      `Client file ${digits(3)}. ${first} ${last} works as a ${pick(JOBS)} in ${city}. ` +
      `Email: ${email}, phone ${phone}. ` +
      `Enjoys ${pick(HOBBIES)}, collects ${pick(OBJECTS)} and is allergic to ${pick(ALLERGIES)}. ` +
      `Has a dog named ${capital(fresh(2))}. ` +
      `Referred by ${capital(fresh(2))} ${capital(fresh(2))}.`;
    people.push({ first, last, email, phone, text });
  }
  return people;
}
