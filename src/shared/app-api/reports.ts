/**
 * Signing and reports: sign, verify, export, open a folder.
 * Part of the app API (../app-api.ts), which holds the channel table.
 */
import { z } from 'zod';
import { RunId, path } from './primitives.ts';

export const SigningStatus = z.object({
  defaultIdentity: z.object({ path: z.string(), exists: z.boolean() }),
  /** Whether the default identity's key passphrase is kept (encrypted at rest) by this app. */
  passphraseStored: z.boolean(),
  /** safeStorage in the desktop app; memory (this session only) in the browser transport. */
  secretStore: z.enum(['safeStorage', 'memory']),
});
export type SigningStatus = z.infer<typeof SigningStatus>;

export const Certificate = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('default') }),
  z.strictObject({ kind: z.literal('p12'), path }),
]);
export const ReportSignRequest = z.strictObject({
  runId: RunId,
  certificate: Certificate,
  /** The key's (default identity) or the PKCS#12's passphrase; default: the stored one. */
  passphrase: z.string().min(1).max(1024).optional(),
  /** Keep the default identity's passphrase in the secret store. */
  remember: z.boolean().optional(),
});
export const ReportSignResponse = z.object({
  path: z.string(),
  sha256: z.string(),
  signer: z.string(),
  selfSigned: z.boolean(),
  verdict: z.enum(['pass', 'fail']),
  ledger: z.object({ path: z.string(), seq: z.number().int().positive(), hash: z.string() }),
});

export const ReportVerifyRequest = z.strictObject({
  path,
  /** Default: the settings' ledger. */
  ledgerPath: path.optional(),
});

export const ExportRequest = z.strictObject({
  runId: RunId,
  /** A folder (model, adapter) or file (report) path that does not exist yet. */
  dest: path,
});
export const ModelExportRequest = z.strictObject({
  runId: RunId,
  what: z.enum(['model', 'adapter']),
  dest: path,
});
export const ExportResponse = z.object({ path: z.string(), bytes: z.number().int() });

export const OpenFolderResponse = z.object({
  /** False on the browser transport: the folder is on the server; `path` says where. */
  opened: z.boolean(),
  path: z.string(),
});
