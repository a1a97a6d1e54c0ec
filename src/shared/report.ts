/**
 * What `nepenthe report` and `nepenthe verify` print with --json (docs/report.md): the report
 * is rendered, signed and recorded in the audit ledger; verify checks the signature and then
 * the report's ledger entry.
 */
import { z } from 'zod';
import { LedgerBreak } from './ledger.ts';
import { VerifyReport } from './signing.ts';

const Sha256Hex = z.string().regex(/^[0-9a-f]{64}$/);

/** `nepenthe report --json`. */
export const SignedReportResult = z.object({
  out: z.string(),
  pages: z.number().int().positive(),
  bytes: z.number().int().positive(),
  verdict: z.enum(['pass', 'fail']),
  signer: z.string(),
  selfSigned: z.boolean(),
  /** The PKCS#12 used: `--sign`'s path or the default identity's. */
  identity: z.string(),
  createdIdentity: z.boolean(),
  signedAt: z.string(),
  /** sha256 of the signed PDF, as recorded in the ledger. */
  reportSha256: Sha256Hex,
  ledger: z.object({
    path: z.string(),
    seq: z.number().int().positive(),
    hash: Sha256Hex,
    runId: z.string(),
    metricsSha256: Sha256Hex,
  }),
  seconds: z.number().nonnegative(),
});
export type SignedReportResult = z.infer<typeof SignedReportResult>;

/** The report's entry in the audit ledger, as `nepenthe verify` found it. */
export const LedgerCheck = z.object({
  path: z.string(),
  /** False when there is no ledger file: nothing to check, and not a failure. */
  present: z.boolean(),
  /** An entry with the PDF's sha256 lies in the chained part of the ledger. */
  found: z.boolean(),
  seq: z.number().int().positive().nullable(),
  /** The whole chain verifies; null when there is no ledger. */
  chainValid: z.boolean().nullable(),
  brokenAt: LedgerBreak.optional(),
  /**
   * The embedded metrics-after.json hashes to the entry's metricsSha256; null when no entry
   * was found or the PDF has no such attachment.
   */
  metricsMatch: z.boolean().nullable(),
  /** Why the ledger check fails the report; absent when it does not. */
  failure: z.string().optional(),
});
export type LedgerCheck = z.infer<typeof LedgerCheck>;

/** `nepenthe verify --json`: the signature check plus the ledger check. */
export const VerifiedReport = VerifyReport.extend({
  sha256: Sha256Hex,
  ledger: LedgerCheck,
});
export type VerifiedReport = z.infer<typeof VerifiedReport>;
