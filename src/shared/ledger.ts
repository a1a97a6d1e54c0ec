/**
 * The audit ledger (DESIGN.md §6, docs/ledger.md): an append-only JSONL file, one entry per
 * line, each entry holding the hash of the one before it, so that editing, deleting or
 * reordering any line breaks the chain from that line on.
 */
import { z } from 'zod';

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a sha256 as 64 lowercase hex digits');

/** `prevHash` of the first entry: there is no previous one. */
export const GENESIS_HASH = '0'.repeat(64);

/** What an entry records, e.g. `report` (a signed report was written). */
export const LedgerKind = z
  .string()
  .regex(/^[a-z][a-z0-9-]{0,31}$/, 'a lowercase word such as "report"');

/** What a caller gives `appendEntry`; the ledger adds seq, time and the hashes. */
export const LedgerAppend = z.strictObject({
  kind: LedgerKind,
  runId: z.string().min(1).max(256),
  reportSha256: Sha256Hex,
  metricsSha256: Sha256Hex,
});
export type LedgerAppend = z.infer<typeof LedgerAppend>;

/**
 * One line of the ledger. Key order here is the canonical order the hash is taken in
 * (docs/ledger.md): `hash` = sha256 of the JSON of every other field, in this order.
 */
export const LedgerEntry = z.strictObject({
  /** 1 for the first line, then consecutive. */
  seq: z.number().int().positive(),
  /** When the entry was appended (ISO 8601, UTC). */
  time: z.iso.datetime(),
  kind: LedgerKind,
  runId: z.string().min(1).max(256),
  reportSha256: Sha256Hex,
  metricsSha256: Sha256Hex,
  /** The previous entry's `hash`; GENESIS_HASH for the first. */
  prevHash: Sha256Hex,
  hash: Sha256Hex,
});
export type LedgerEntry = z.infer<typeof LedgerEntry>;

/** Where and why the chain first fails; `line` counts from 1. */
export const LedgerBreak = z.object({
  line: z.number().int().positive(),
  reason: z.string(),
});
export type LedgerBreak = z.infer<typeof LedgerBreak>;

/** Result of walking the chain: `entries` counts the good lines before any break. */
export const LedgerVerification = z.object({
  valid: z.boolean(),
  entries: z.number().int().nonnegative(),
  /** Hash of the last good entry; null for an empty ledger. */
  lastHash: Sha256Hex.nullable(),
  brokenAt: LedgerBreak.optional(),
});
export type LedgerVerification = z.infer<typeof LedgerVerification>;

/** `nepenthe ledger verify --json`. */
export const LedgerVerifyReport = LedgerVerification.extend({
  ledger: z.string(),
});
export type LedgerVerifyReport = z.infer<typeof LedgerVerifyReport>;
