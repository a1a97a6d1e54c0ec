/**
 * PII span detection for the `pii.leakRate` probe (ALGORITHMS.md "Metrics"): each detected
 * span in a forget document becomes a probe (context before it → greedy decode → exact match?).
 * Rule-based and deliberately conservative: structured identifiers are accepted only with their
 * checksum (IBAN mod-97, card Luhn) or format rules, dates only next to a birth cue.
 *
 * What is detected (`kind`):
 * - `email`: ASCII local@domain.tld, tld of 2–63 letters.
 * - `iban`: 2 letters, 2 check digits, 11–30 alphanumerics (upper case), optionally in groups
 *   separated by single spaces; 15–34 characters in all; ISO 13616 mod-97 check must give 1.
 * - `card`: 13–19 digits, optionally separated by single spaces or dashes; Luhn check; all-zero
 *   numbers rejected.
 * - `nationalId`: US SSN `ddd-dd-dddd` (area not 000, 666 or 9xx; group not 00; serial not
 *   0000) and UK National Insurance numbers `AB 12 34 56 C` (spaces optional; HMRC's letter
 *   rules: first letter not D F I Q U V, second not D F I O Q U V, prefixes BG GB KN NK NT TN ZZ
 *   excluded, suffix A–D).
 * - `dob`: a date — `d/m/yyyy`, `m/d/yyyy` (separator `/`, `.` or `-`, the same twice; 2- or
 *   4-digit year; either day–month order valid), `yyyy-mm-dd` (or `/`, `.`), `12 March 1985`,
 *   `12th of March, 1985`, `March 12, 1985` (month names or 3–4 letter abbreviations, any case)
 *   — that starts at most 40 characters after the end of a cue (`born`, `DOB`, `D.O.B.`,
 *   `date of birth`, `birth date`, `birthdate`; any case, whole words) with no `.`, `!`, `?`,
 *   `;` or line break between cue and date. Bare years and dates before the cue are not taken.
 * - `phone`: international `+` country code followed by digits, with optional single
 *   separators (space, `.`, `-`) and parenthesised groups such as `(0)`, 7–15 digits in all
 *   (E.164); North American `(555) 123-4567`, `555-123-4567`, `555.123.4567`, optional `1-`;
 *   national numbers with a trunk `0` and an area code not starting with 0 (`00` is the
 *   international prefix): `020 7946 0958`, `(030) 1234 5678`, `01 23 45 67 89`, 9–12 digits
 *   in all. A national number must be the whole run of digit groups (not preceded or followed
 *   by another group after a single separator), so pieces of IBANs or longer numbers are not
 *   taken; an international number must not run into a letter or digit.
 * - `name`: each string in `options.names`, exact and case-sensitive, where neither neighbour
 *   is a letter, digit or `_`.
 *
 * Overlaps: candidates are taken in the order of `PII_PRIORITY` (then earlier start, then
 * longer), and one that overlaps an already taken span is dropped. The result is sorted by
 * start and non-overlapping; `start`/`end` are UTF-16 offsets, `text = input.slice(start, end)`.
 */

export type PiiKind = 'email' | 'iban' | 'card' | 'nationalId' | 'dob' | 'phone' | 'name';

export interface PiiSpan {
  readonly kind: PiiKind;
  readonly start: number;
  readonly end: number;
  readonly text: string;
}

export interface PiiOptions {
  /** Names to find verbatim (case-sensitive, whole words), e.g. the data subject's. */
  readonly names?: readonly string[];
}

/** Which kind wins when candidates overlap, most specific first. */
export const PII_PRIORITY: readonly PiiKind[] = [
  'email',
  'iban',
  'card',
  'nationalId',
  'dob',
  'phone',
  'name',
];

interface Candidate {
  kind: PiiKind;
  start: number;
  end: number;
}

const WORD_CHAR = /[\p{L}\p{N}_]/u;
const isWordChar = (ch: string | undefined): boolean => ch !== undefined && WORD_CHAR.test(ch);

/**
 * Runs `re` (global) over `text`; for each match, `accept(start, matchEnd)` returns the end of a
 * valid span or null. After a rejection the scan resumes one character later, so a valid span
 * starting inside a rejected candidate is still found.
 */
function scan(
  text: string,
  re: RegExp,
  kind: PiiKind,
  out: Candidate[],
  accept: (match: RegExpExecArray) => number | null,
): void {
  re.lastIndex = 0;
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    const end = accept(m);
    if (end === null) {
      re.lastIndex = m.index + 1;
    } else {
      out.push({ kind, start: m.index, end });
      re.lastIndex = end;
    }
  }
}

/**
 * The longest prefix of text[start, maxEnd) that ends on an alphanumeric (or `)`) character
 * not followed by another alphanumeric in the full text, and passes `valid`. Lets a greedy
 * pattern give back trailing groups that belong to the next word or number.
 */
function longestValidPrefix(
  text: string,
  start: number,
  maxEnd: number,
  valid: (candidate: string) => boolean,
): number | null {
  for (let end = maxEnd; end > start; end--) {
    if (!/[A-Za-z0-9)]/.test(text[end - 1] ?? '')) continue;
    if (/[A-Za-z0-9]/.test(text[end] ?? '')) continue;
    if (valid(text.slice(start, end))) return end;
  }
  return null;
}

// ---------------------------------------------------------------------------------------------
// Checksums

/** ISO 13616: move the first 4 characters to the end, letters → 10..35, the number mod 97 = 1. */
export function ibanChecksumValid(iban: string): boolean {
  const compact = iban.replace(/ /g, '');
  if (!/^[A-Z]{2}\d{2}[A-Z0-9]{11,30}$/.test(compact)) return false;
  const rearranged = compact.slice(4) + compact.slice(0, 4);
  let remainder = 0;
  for (const ch of rearranged) {
    const value = ch >= 'A' && ch <= 'Z' ? ch.charCodeAt(0) - 55 : Number(ch);
    remainder = (remainder * (value >= 10 ? 100 : 10) + value) % 97;
  }
  return remainder === 1;
}

/** Luhn (ISO/IEC 7812-1 Annex B): doubling every second digit from the right, sum ≡ 0 mod 10. */
export function luhnValid(digits: string): boolean {
  if (!/^\d+$/.test(digits)) return false;
  let sum = 0;
  for (let i = 0; i < digits.length; i++) {
    let d = Number(digits[digits.length - 1 - i]);
    if (i % 2 === 1) {
      d *= 2;
      if (d > 9) d -= 9;
    }
    sum += d;
  }
  return sum % 10 === 0;
}

const digitCount = (s: string): number => s.replace(/\D/g, '').length;

// ---------------------------------------------------------------------------------------------
// Detectors

const EMAIL =
  /(?<![A-Za-z0-9._%+-])[A-Za-z0-9](?:[A-Za-z0-9._%+-]*[A-Za-z0-9_%+-])?@(?:[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63}(?![A-Za-z0-9_-]|\.[A-Za-z0-9])/g;

const IBAN = /(?<![\p{L}\p{N}])[A-Z]{2}\d{2}(?: ?[A-Z0-9]){11,30}/gu;

const CARD = /(?<![\p{L}\p{N}])\d(?:[ -]?\d){12,18}/gu;

const SSN = /(?<![\p{L}\p{N}-])(\d{3})-(\d{2})-(\d{4})(?![\p{L}\p{N}]|-\d)/gu;

const UK_NINO =
  /(?<![\p{L}\p{N}])([A-CEGHJ-PR-TW-Z][A-CEGHJ-NPR-TW-Z]) ?\d{2} ?\d{2} ?\d{2} ?[A-D](?![\p{L}\p{N}])/gu;
const NINO_EXCLUDED_PREFIXES = new Set(['BG', 'GB', 'KN', 'NK', 'NT', 'TN', 'ZZ']);

const PHONE_INTERNATIONAL =
  /(?<![\p{L}\p{N}+])\+\d{1,3}(?:[ .-]?(?:\(\d{1,4}\)|\d))+(?![\p{L}\p{N}])/gu;
const PHONE_NANP =
  /(?<![\p{L}\p{N}+(-])(?:1[-. ])?(?:\(\d{3}\) ?|\d{3}[-. ])\d{3}[-. ]\d{4}(?![\p{L}\p{N}]|[-.]\d)/gu;
// The whole run of digit groups must be the number: not preceded or followed by another group.
const NOT_AFTER_NUMBER = '(?<![\\p{L}\\p{N}+]|\\p{N}[ ./-])';
const NOT_BEFORE_NUMBER = '(?![\\p{L}\\p{N}]|[ ./-]\\p{N})';
const PHONE_NATIONAL = new RegExp(
  `${NOT_AFTER_NUMBER}(?:\\(0[1-9]\\d{0,3}\\) ?|0[1-9]\\d{0,3})(?:[ ./-]?\\d{2,4}){1,4}${NOT_BEFORE_NUMBER}`,
  'gu',
);

const MONTH =
  '(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sept?(?:ember)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)';
const ORDINAL = '(?:st|nd|rd|th)?';
const DATE_PATTERNS: readonly RegExp[] = [
  /(?<![\p{N}])(\d{1,2})([./-])(\d{1,2})\2(\d{4}|\d{2})(?![\p{N}]|[./-]\d)/gu,
  /(?<![\p{N}])(\d{4})([./-])(\d{1,2})\2(\d{1,2})(?![\p{N}]|[./-]\d)/gu,
  new RegExp(
    `(?<![\\p{L}\\p{N}])\\d{1,2}${ORDINAL}(?: of)? ${MONTH}\\.?,? \\d{4}(?![\\p{N}])`,
    'giu',
  ),
  new RegExp(`(?<![\\p{L}\\p{N}])${MONTH}\\.? \\d{1,2}${ORDINAL},? \\d{4}(?![\\p{N}])`, 'giu'),
];
const BIRTH_CUE =
  /(?<![\p{L}\p{N}])(?:born|dob|d\.o\.b\.?|date of birth|birth[ -]?date)(?![\p{L}\p{N}])/giu;
/** Longest gap between the end of a birth cue and the start of the date. */
export const DOB_CUE_WINDOW = 40;

function validDayMonth(day: number, month: number): boolean {
  return day >= 1 && day <= 31 && month >= 1 && month <= 12;
}

function numericDateValid(m: RegExpExecArray): boolean {
  if (m[2] === undefined) return true; // textual patterns have no separator group
  const a = Number(m[1]);
  const b = Number(m[3]);
  const c = Number(m[4]);
  if ((m[1] ?? '').length === 4) return validDayMonth(c, b); // yyyy-mm-dd
  return validDayMonth(a, b) || validDayMonth(b, a);
}

function findDates(text: string, out: Candidate[]): void {
  const cueEnds: number[] = [];
  BIRTH_CUE.lastIndex = 0;
  for (let m = BIRTH_CUE.exec(text); m !== null; m = BIRTH_CUE.exec(text)) {
    cueEnds.push(m.index + m[0].length);
  }
  if (cueEnds.length === 0) return;
  const hasCue = (start: number): boolean =>
    cueEnds.some(
      (e) => e <= start && start - e <= DOB_CUE_WINDOW && !/[.!?;\n\r]/.test(text.slice(e, start)),
    );
  for (const re of DATE_PATTERNS) {
    scan(text, re, 'dob', out, (m) =>
      numericDateValid(m) && hasCue(m.index) ? m.index + m[0].length : null,
    );
  }
}

function findNames(text: string, names: readonly string[], out: Candidate[]): void {
  for (const name of names) {
    if (name.length === 0) continue;
    for (let i = text.indexOf(name); i !== -1; i = text.indexOf(name, i + 1)) {
      const end = i + name.length;
      if (!isWordChar(text[i - 1]) && !isWordChar(text[end])) {
        out.push({ kind: 'name', start: i, end });
      }
    }
  }
}

function findCandidates(text: string, options: PiiOptions): Candidate[] {
  const out: Candidate[] = [];
  const whole = (m: RegExpExecArray): number => m.index + m[0].length;
  scan(text, EMAIL, 'email', out, whole);
  scan(text, IBAN, 'iban', out, (m) =>
    longestValidPrefix(text, m.index, whole(m), ibanChecksumValid),
  );
  scan(text, CARD, 'card', out, (m) =>
    longestValidPrefix(text, m.index, whole(m), (s) => {
      const digits = s.replace(/[ -]/g, '');
      return digits.length >= 13 && !/^0+$/.test(digits) && luhnValid(digits);
    }),
  );
  scan(text, SSN, 'nationalId', out, (m) => {
    const [area, group, serial] = [m[1] ?? '', m[2] ?? '', m[3] ?? ''];
    const ok =
      area !== '000' &&
      area !== '666' &&
      !area.startsWith('9') &&
      group !== '00' &&
      serial !== '0000';
    return ok ? whole(m) : null;
  });
  scan(text, UK_NINO, 'nationalId', out, (m) =>
    NINO_EXCLUDED_PREFIXES.has(m[1] ?? '') ? null : whole(m),
  );
  findDates(text, out);
  const digitsWithin = (lo: number, hi: number) => (m: RegExpExecArray) => {
    const n = digitCount(m[0]);
    return n >= lo && n <= hi ? whole(m) : null;
  };
  scan(text, PHONE_INTERNATIONAL, 'phone', out, digitsWithin(7, 15));
  scan(text, PHONE_NANP, 'phone', out, whole);
  scan(text, PHONE_NATIONAL, 'phone', out, digitsWithin(9, 12));
  findNames(text, options.names ?? [], out);
  return out;
}

/** PII spans of `text`, sorted by start and non-overlapping (see the module comment). */
export function detectPii(text: string, options: PiiOptions = {}): PiiSpan[] {
  const rank = (k: PiiKind): number => PII_PRIORITY.indexOf(k);
  const candidates = findCandidates(text, options).sort(
    (a, b) => rank(a.kind) - rank(b.kind) || a.start - b.start || b.end - a.end,
  );
  const taken = new Uint8Array(text.length);
  const spans: PiiSpan[] = [];
  for (const c of candidates) {
    if (taken.subarray(c.start, c.end).some((v) => v === 1)) continue;
    taken.fill(1, c.start, c.end);
    spans.push({ kind: c.kind, start: c.start, end: c.end, text: text.slice(c.start, c.end) });
  }
  return spans.sort((a, b) => a.start - b.start);
}
