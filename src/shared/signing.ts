/**
 * What `nepenthe verify` reports about a signed report PDF (DESIGN.md §6). `valid` is true only
 * when the CMS signature covers every byte of the file except the signature itself, the signed
 * digest matches those bytes, and the signer certificate's key made the signature.
 */
import { z } from 'zod';

export const VerifiedAttachment = z.object({
  /** The file name the PDF gives the attachment. */
  name: z.string(),
  /** sha256 (hex) of the decoded attachment bytes, to compare with the ledger or a copy. */
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  size: z.number().int().nonnegative(),
  /**
   * The attachment decodes, its stream lies wholly inside the signed byte ranges, and its
   * declared checksum (/Params /CheckSum, MD5), when present, matches the decoded bytes.
   */
  matches: z.boolean(),
});
export type VerifiedAttachment = z.infer<typeof VerifiedAttachment>;

export const VerifyReport = z.object({
  valid: z.boolean(),
  /** Why the report is not valid; absent when it is. */
  reason: z.string().optional(),
  /** Common name (else the full subject) of the signer certificate; null when unreadable. */
  signer: z.string().nullable(),
  /** The signer certificate is its own issuer and its signature verifies with its own key. */
  selfSigned: z.boolean().nullable(),
  /** Subjects from the signer up the certificates the signature carries (signer first). */
  chain: z.array(z.string()),
  /** ISO 8601 signing time: the signed CMS attribute, else the dictionary's /M. */
  signedAt: z.string().nullable(),
  /** /Name and /Reason of the signature dictionary. */
  signatureName: z.string().nullable(),
  signatureReason: z.string().nullable(),
  attachments: z.array(VerifiedAttachment),
});
export type VerifyReport = z.infer<typeof VerifyReport>;
