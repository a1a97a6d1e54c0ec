/** Values several parts of the app API share. */
import { z } from 'zod';

/** A file or folder path as the API carries it. */
export const path = z.string().min(1).max(4096);

/** A run folder's name under the workspace (also the ledger's run id). No separators. */
export const RunId = z
  .string()
  .regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/, 'a run id is a folder name: letters, digits, . _ -');
export type RunId = z.infer<typeof RunId>;
