/**
 * Structured identifiers for fictitious people, each in a form `detectPii` (../pii.ts) accepts:
 * a UK IBAN with ISO 13616 check digits, a US-SSN-shaped national id inside the valid ranges,
 * a phone number in Ofcom's range for drama (+44 7700 900xxx), and a date of birth.
 */
import { MONTHS } from './vocabulary.ts';

export type Random = () => number;

export const digits = (rand: Random, n: number): string =>
  Array.from({ length: n }, () => String(Math.floor(rand() * 10))).join('');

const intBetween = (rand: Random, lo: number, hi: number): number =>
  lo + Math.floor(rand() * (hi - lo + 1));

const LETTERS = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ';

/** ISO 13616 check digits: 98 − (BBAN + country + "00", letters as 10..35) mod 97. */
export function ibanCheckDigits(country: string, bban: string): string {
  let remainder = 0;
  for (const ch of `${bban}${country}00`) {
    const value = ch >= 'A' && ch <= 'Z' ? ch.charCodeAt(0) - 55 : Number(ch);
    remainder = (remainder * (value >= 10 ? 100 : 10) + value) % 97;
  }
  return String(98 - remainder).padStart(2, '0');
}

/** GB IBAN (4-letter bank code, 6-digit sort code, 8-digit account) in groups of four. */
export function ibanFor(rand: Random): string {
  let bank = '';
  for (let i = 0; i < 4; i++) bank += LETTERS[Math.floor(rand() * 26)]!;
  const bban = `${bank}${digits(rand, 14)}`;
  const compact = `GB${ibanCheckDigits('GB', bban)}${bban}`;
  return compact.replace(/(.{4})(?!$)/g, '$1 ');
}

/** ddd-dd-dddd with area 001–665 or 667–899, group 01–99, serial 0001–9999 (SSA's rules). */
export function nationalIdFor(rand: Random): string {
  let area = intBetween(rand, 1, 898);
  if (area >= 666) area += 1;
  const group = intBetween(rand, 1, 99);
  const serial = intBetween(rand, 1, 9999);
  return `${String(area).padStart(3, '0')}-${String(group).padStart(2, '0')}-${String(serial).padStart(4, '0')}`;
}

/** +44 7700 900xxx: numbers Ofcom keeps for fiction, so none rings a real phone. */
export function phoneFor(rand: Random): string {
  return `+44 7700 900${digits(rand, 3)}`;
}

/** "12 March 1985": day 1–28 so every month has it, years 1950–2004. */
export function dateOfBirthFor(rand: Random): string {
  return `${intBetween(rand, 1, 28)} ${MONTHS[Math.floor(rand() * 12)]!} ${intBetween(rand, 1950, 2004)}`;
}
