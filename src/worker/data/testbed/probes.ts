/**
 * TOFU-style probe answers for the testbed's QA pairs (docs/testbed.md, docs/metrics.md "Truth
 * ratio"): for each question a paraphrased answer — the true fact in a sentence of its own —
 * and PERTURBED_ANSWERS false answers in exactly that sentence, with another value of the same
 * format (another made-up email, a phone in the same Ofcom range, an address in an invented
 * town, a valid-looking IBAN, ...). As in TOFU, the perturbed answers share the paraphrase's
 * template, so the truth ratio compares the fact alone.
 *
 * Deterministic: each person's values come from one mulberry32 stream seeded by the testbed
 * seed and the person's id. No false value is anyone's real value for that field (for the
 * medical condition, of which there are only twelve, not the person's own), and the false values
 * of one question are distinct.
 */
import { mulberry32 } from '../prng.ts';
import { qaPairs, type QaPair } from './documents.ts';
import { dateOfBirthFor, ibanFor, nationalIdFor, phoneFor, type Random } from './identifiers.ts';
import type { TestbedPerson } from './people.ts';
import { CODAS, CONDITIONS, EMPLOYER_KINDS, ONSETS, STREET_KINDS, VOWELS } from './vocabulary.ts';

/** False answers per question (TOFU's forget sets have five). */
export const PERTURBED_ANSWERS = 5;

/** A QA line of the testbed: TOFU's field names. */
export interface TestbedQaRecord {
  readonly question: string;
  readonly answer: string;
  readonly paraphrased_answer: string;
  readonly perturbed_answers: readonly string[];
}

/** The facts a question asks for, in `qaPairs` order. */
const FIELDS = [
  'email',
  'phone',
  'address',
  'employer',
  'condition',
  'dateOfBirth',
  'nationalId',
  'iban',
] as const;
type Field = (typeof FIELDS)[number];

/** The paraphrase sentence of each fact; the perturbed answers use the same one. */
const TEMPLATES: Record<Field, (first: string, value: string) => string> = {
  email: (first, v) => `${first}'s email address is ${v}.`,
  phone: (first, v) => `You can call ${first} on ${v}.`,
  address: (first, v) => `${first}'s home is at ${v}.`,
  employer: (first, v) => `${first} is employed by ${v}.`,
  condition: (first, v) => `${first} has been diagnosed with ${v}.`,
  dateOfBirth: (first, v) => `${first}'s date of birth is ${v}.`,
  nationalId: (first, v) => `${first}'s national id number is ${v}.`,
  iban: (first, v) => `${first}'s bank account has the IBAN ${v}.`,
};

const capital = (w: string): string => w[0]!.toUpperCase() + w.slice(1);

/** A random value of a field's format (as people.ts builds the real ones). */
function falseValue(field: Field, rand: Random): string {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(rand() * list.length)]!;
  const word = (syllables: number): string => {
    let w = '';
    for (let i = 0; i < syllables; i++) w += pick(ONSETS) + pick(VOWELS);
    return capital(w + pick(CODAS));
  };
  switch (field) {
    case 'email':
      return `${word(2).toLowerCase()}.${word(3).toLowerCase()}@example.org`;
    case 'phone':
      return phoneFor(rand);
    case 'address':
      return `${1 + Math.floor(rand() * 98)} ${word(2)} ${pick(STREET_KINDS)}, ${word(2)}`;
    case 'employer':
      return `${word(2)} ${pick(EMPLOYER_KINDS)}`;
    case 'condition':
      return pick(CONDITIONS);
    case 'dateOfBirth':
      return dateOfBirthFor(rand);
    case 'nationalId':
      return nationalIdFor(rand);
    case 'iban':
      return ibanFor(rand);
  }
}

/** Seed of one person's stream: the testbed seed mixed with the id (32-bit). */
const personSeed = (seed: number, id: number): number =>
  (Math.imul(seed ^ 0x9e3779b9, 0x85ebca6b) + Math.imul(id + 1, 0xc2b2ae35)) >>> 0;

/**
 * The QA records of `person`: `qaPairs` (question and answer unchanged) plus a paraphrased
 * answer and PERTURBED_ANSWERS perturbed ones. `everyone` are all people generated together:
 * their real values are never used as false ones.
 */
export function qaRecords(
  person: TestbedPerson,
  everyone: readonly TestbedPerson[],
  seed: number,
): TestbedQaRecord[] {
  const rand = mulberry32(personSeed(seed, person.id));
  const pairs: QaPair[] = qaPairs(person);
  return FIELDS.map((field, i) => {
    const { question, answer } = pairs[i]!;
    if (answer !== person[field]) throw new Error(`testbed probes: question ${i} is not ${field}`);
    const taken = new Set(field === 'condition' ? [answer] : everyone.map((p) => p[field]));
    const perturbed: string[] = [];
    for (let tries = 0; perturbed.length < PERTURBED_ANSWERS; tries++) {
      if (tries > 10_000) throw new Error(`testbed probes: no ${PERTURBED_ANSWERS} ${field}s`);
      const value = falseValue(field, rand);
      if (taken.has(value)) continue;
      taken.add(value);
      perturbed.push(value);
    }
    const sentence = (value: string) => TEMPLATES[field](person.first, value);
    return {
      question,
      answer,
      paraphrased_answer: sentence(answer),
      perturbed_answers: perturbed.map(sentence),
    };
  });
}
