/**
 * Masking of secrets in whatever free text the report prints (paths, config strings, skipped
 * reasons, messages): the report never shows forget-set PII in clear (DESIGN.md §9). The run
 * folder holds only counts by design; this is the second line of defence, should a probe string
 * ever reach a metrics document or a file name.
 */

/** `john.doe@mail.example` → `j***@m***.example`: first letter of each part, the TLD kept. */
export function maskEmail(email: string): string {
  const at = email.lastIndexOf('@');
  if (at < 1) return maskDigits(email);
  const local = email.slice(0, at);
  const domain = email.slice(at + 1);
  const dot = domain.lastIndexOf('.');
  const host = dot > 0 ? domain.slice(0, dot) : domain;
  const tld = dot > 0 ? domain.slice(dot) : '';
  return `${local[0]}***@${host[0] ?? ''}***${tld}`;
}

/** Keeps the first two characters and the last two digits: `+44 7700 900250` → `+4*********50`. */
export function maskDigits(secret: string): string {
  const compact = secret.replace(/\s+/g, '');
  if (compact.length <= 4) return '*'.repeat(compact.length);
  return `${compact.slice(0, 2)}${'*'.repeat(compact.length - 4)}${compact.slice(-2)}`;
}

const EMAIL = /[A-Za-z0-9._%+-]+@[A-Za-z0-9.-]+\.[A-Za-z]{2,}/g;
/** ISO 13616 IBAN: country, check digits, then 11-30 alphanumerics, optionally in groups of 4. */
const IBAN = /\b[A-Z]{2}\d{2}(?: ?[A-Z0-9]{4}){2,7}(?: ?[A-Z0-9]{1,3})?\b/g;
/** An international phone number: `+` and at least 8 digits with spaces, dashes or brackets. */
const PHONE = /\+\d[\d ()-]{6,}\d/g;
/** Card-like runs of 13-19 digits in groups, and US-style national ids (`123-45-6789`). */
const CARD = /\b\d{4}(?:[ -]?\d{4}){2,3}(?:[ -]?\d{1,3})?\b/g;
const NATIONAL_ID = /\b\d{3}-\d{2}-\d{4}\b/g;

/** Replaces every email, IBAN, phone, card and national id in `text` by its mask. */
export function redact(text: string): string {
  return text
    .replace(EMAIL, maskEmail)
    .replace(IBAN, maskDigits)
    .replace(PHONE, maskDigits)
    .replace(CARD, maskDigits)
    .replace(NATIONAL_ID, maskDigits);
}
