/** Values several parts of the app API share. */
import { z } from 'zod';

/**
 * A file or folder path as the API carries it. No NUL: no file system accepts one, and Node's fs
 * refuses it only when the path is used, so a NUL path would otherwise be stored (settings) and
 * fail later, far from where it was given.
 */
export const path = z
  .string()
  .min(1)
  .max(4096)
  .refine((p) => !p.includes('\0'), 'a path cannot contain a NUL character');

/** A run folder's name under the workspace (also the ledger's run id). No separators. */
export const RunId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'a run id is a folder name: letters, digits, . _ -');
export type RunId = z.infer<typeof RunId>;
