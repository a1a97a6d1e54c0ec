import { describe, expect, it } from 'vitest';
import {
  detectPii,
  ibanChecksumValid,
  luhnValid,
  type PiiKind,
} from '../../src/worker/data/pii.ts';

/** The (kind, text) pairs found, in order. */
function found(text: string, names?: string[]): [PiiKind, string][] {
  return detectPii(text, { names }).map((s) => [s.kind, s.text]);
}

describe('checksums', () => {
  it('validates IBANs by mod-97', () => {
    // DE89…: 370400440532013000 + "DE89" → …131489; mod 97 = 1 (ISO 13616 example).
    expect(ibanChecksumValid('DE89 3704 0044 0532 0130 00')).toBe(true);
    expect(ibanChecksumValid('GB82WEST12345698765432')).toBe(true);
    expect(ibanChecksumValid('DE88 3704 0044 0532 0130 00')).toBe(false);
    expect(ibanChecksumValid('GB82WEST1234569876543')).toBe(false);
  });

  it('validates card numbers by Luhn', () => {
    // 4111111111111111: doubled (2nd, 4th, … from the right): seven 1s → 14, the 4 → 8;
    // undoubled: eight 1s → 8. Sum 30 ≡ 0 mod 10.
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('378282246310005')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(luhnValid('79927398713')).toBe(true); // the textbook example
    expect(luhnValid('79927398710')).toBe(false);
  });
});

describe('detectPii', () => {
  it('finds emails without trailing punctuation', () => {
    const text = 'Write to jane.doe+news@mail.example.co.uk. Or not@valid, or x@y.z.';
    expect(found(text)).toEqual([['email', 'jane.doe+news@mail.example.co.uk']]);
    const [span] = detectPii(text);
    expect(text.slice(span!.start, span!.end)).toBe(span!.text);
  });

  it('finds IBANs with a valid check and gives back a trailing word', () => {
    expect(found('Pay DE89 3704 0044 0532 0130 00 ASAP, not DE88 3704 0044 0532 0130 00.')).toEqual(
      [['iban', 'DE89 3704 0044 0532 0130 00']],
    );
    expect(found('IBAN: GB82WEST12345698765432')).toEqual([['iban', 'GB82WEST12345698765432']]);
  });

  it('finds Luhn-valid card numbers only', () => {
    expect(found('Card 4111 1111 1111 1111 or 4111-1111-1111-1112.')).toEqual([
      ['card', '4111 1111 1111 1111'],
    ]);
    expect(found('Amex 378282246310005; zeros 0000 0000 0000 0000')).toEqual([
      ['card', '378282246310005'],
    ]);
    // 12 digits is too short for a card, even when Luhn-valid (4111 1111 1114 sums to 20).
    expect(found('ref 4111 1111 1114')).toEqual([]);
  });

  it('finds US SSNs and UK NI numbers, rejecting invalid ranges and prefixes', () => {
    expect(
      found('SSN 123-45-6789, not 000-12-3456, 666-12-3456, 912-34-5678 or 123-00-4567.'),
    ).toEqual([['nationalId', '123-45-6789']]);
    expect(
      found('NI AB 12 34 56 C and AB123456D; not GB 12 34 56 A, DA123456A, AB123456E'),
    ).toEqual([
      ['nationalId', 'AB 12 34 56 C'],
      ['nationalId', 'AB123456D'],
    ]);
  });

  it('finds international and national phone numbers', () => {
    expect(found('Call +44 20 7946 0958 or +49 (0)30 1234 5678 today.')).toEqual([
      ['phone', '+44 20 7946 0958'],
      ['phone', '+49 (0)30 1234 5678'],
    ]);
    expect(found('US (555) 123-4567, 555.123.4567, 1-800-555-0199.')).toEqual([
      ['phone', '(555) 123-4567'],
      ['phone', '555.123.4567'],
      ['phone', '1-800-555-0199'],
    ]);
    expect(found('UK 020 7946 0958, FR 01 23 45 67 89, DE (030) 1234 5678')).toEqual([
      ['phone', '020 7946 0958'],
      ['phone', '01 23 45 67 89'],
      ['phone', '(030) 1234 5678'],
    ]);
  });

  it('does not take versions, amounts, years or short numbers for phones', () => {
    expect(found('Version 1.2.3 costs 0.50 in 2024; call 12345 or 0123 45; +1 23.')).toEqual([]);
  });

  it('finds dates of birth only after a birth cue in the same sentence', () => {
    expect(found('She was born on 12 March 1985 in Leeds.')).toEqual([['dob', '12 March 1985']]);
    expect(found('DOB: 1985-03-12')).toEqual([['dob', '1985-03-12']]);
    expect(found('Date of birth 03/12/1985, D.O.B. March 4th, 1990')).toEqual([
      ['dob', '03/12/1985'],
      ['dob', 'March 4th, 1990'],
    ]);
    // No cue, cue in a previous sentence, cue too far away, impossible date, date before cue.
    expect(found('The meeting was on 12 March 1985.')).toEqual([]);
    expect(found('He was born in Leeds. On 12 March 1985 he moved.')).toEqual([]);
    expect(found('born, as the old parish register in the town says, 12 March 1985')).toEqual([]);
    expect(found('born 31/31/1985')).toEqual([]);
    expect(found('12 March 1985 is when she was born')).toEqual([]);
    expect(found('stubborn 12 March 1985')).toEqual([]);
  });

  it('finds listed names exactly, case-sensitively, as whole words', () => {
    const text = 'Alice Smith met Alice Smithson and alice smith; Smith, Alice.';
    expect(found(text, ['Alice Smith', 'Alice'])).toEqual([
      ['name', 'Alice Smith'],
      ['name', 'Alice'],
      ['name', 'Alice'],
    ]);
    expect(found('nobody here', ['', 'Bob'])).toEqual([]);
  });

  it('resolves overlaps by priority and returns sorted, disjoint spans', () => {
    // The name "John" lies inside the email: the email wins. The card digits are not also a phone.
    const text = 'John (John@example.org) paid with 4111 1111 1111 1111, born 01.02.1980.';
    const spans = detectPii(text, { names: ['John'] });
    expect(spans.map((s) => [s.kind, s.text])).toEqual([
      ['name', 'John'],
      ['email', 'John@example.org'],
      ['card', '4111 1111 1111 1111'],
      ['dob', '01.02.1980'],
    ]);
    for (let i = 1; i < spans.length; i++) {
      expect(spans[i]!.start).toBeGreaterThanOrEqual(spans[i - 1]!.end);
    }
  });

  it('returns nothing for text without PII', () => {
    expect(detectPii('The keeper reads the letters twice and files them by date.')).toEqual([]);
    expect(detectPii('')).toEqual([]);
  });
});
