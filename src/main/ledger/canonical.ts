/**
 * The canonical form an entry is hashed in. JSON.stringify writes keys in insertion order, so
 * building the object field by field in a fixed order makes the bytes depend only on the
 * values, not on how a line in the file happens to order its keys.
 */
import { createHash } from 'node:crypto';
import type { LedgerEntry } from '../../shared/ledger.ts';

export type UnhashedEntry = Omit<LedgerEntry, 'hash'>;

/** The hashed fields, in hashing order (also the order lines are written in). */
export const HASHED_FIELDS = [
  'seq',
  'time',
  'kind',
  'runId',
  'reportSha256',
  'metricsSha256',
  'prevHash',
] as const satisfies readonly (keyof UnhashedEntry)[];

export function canonicalJson(entry: UnhashedEntry): string {
  const ordered: Record<string, unknown> = {};
  for (const key of HASHED_FIELDS) ordered[key] = entry[key];
  return JSON.stringify(ordered);
}

export function entryHash(entry: UnhashedEntry): string {
  return createHash('sha256').update(canonicalJson(entry), 'utf8').digest('hex');
}

/** The line written to the file: canonical fields, then `hash`, no trailing newline. */
export function entryLine(entry: LedgerEntry): string {
  return `${canonicalJson(entry).slice(0, -1)},"hash":${JSON.stringify(entry.hash)}}`;
}
