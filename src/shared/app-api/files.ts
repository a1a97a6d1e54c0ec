/**
 * Files: an in-app file browser (the browser transport has no native dialog), native
 * dialogs, uploads of dropped files (browser transport).
 * Part of the app API (../app-api.ts), which holds the channel table.
 */
import { z } from 'zod';
import { path } from './primitives.ts';

export const FilePurpose = z.enum(['model', 'documents', 'qa', 'p12', 'folder']);
export type FilePurpose = z.infer<typeof FilePurpose>;

export const FilesListRequest = z.strictObject({
  /** Default: the user's home folder. */
  path: path.optional(),
  purpose: FilePurpose.optional(),
});
export const FileEntry = z.object({
  name: z.string(),
  path: z.string(),
  kind: z.enum(['dir', 'file']),
  bytes: z.number().int().nonnegative(),
  /** A folder holding config.json and safetensors weights: a Hugging Face model. */
  isModel: z.boolean(),
  /** Whether the entry fits the request's purpose (a document format, a .p12, a model). */
  selectable: z.boolean(),
});
export type FileEntry = z.infer<typeof FileEntry>;
export const FilesListResponse = z.object({
  path: z.string(),
  parent: z.string().nullable(),
  entries: z.array(FileEntry),
  /**
   * What the folder holds but the browser cannot offer, and why: a dangling or looping link, a
   * FIFO, socket or device, an entry that cannot be read. Hidden (dot) names are not listed here.
   */
  unlisted: z.array(z.object({ name: z.string(), reason: z.string() })),
  /** Places to start from: home, workspace, the bundled testbed. */
  roots: z.array(z.object({ label: z.string(), path: z.string() })),
});

export const FilesPickRequest = z.strictObject({
  purpose: FilePurpose,
  multiple: z.boolean().optional(),
  /** A save dialog (choose a destination) rather than an open dialog. */
  save: z.boolean().optional(),
  defaultPath: path.optional(),
});
/** `supported: false` on the browser transport: the renderer shows its own file browser. */
export const FilesPickResponse = z.object({
  supported: z.boolean(),
  paths: z.array(z.string()).nullable(),
});

/** A file dropped on the browser page, sent as base64 (≤ 64 MiB decoded). */
export const FilesUploadRequest = z.strictObject({
  name: z
    .string()
    .min(1)
    .max(255)
    .regex(/^[^/\\\0]+$/, 'a file name, without folders')
    // `.` and `..` name folders, never a new file (they would resolve to the upload's folder).
    .refine((name) => name !== '.' && name !== '..', 'a file name, not "." or ".."'),
  /**
   * Standard base64 (RFC 4648 §4), padded: Node's decoder skips any other character silently, so
   * a damaged or non-base64 body would be stored as garbage bytes instead of refused. Checked
   * with one character-class loop, not a per-quantum group: V8 overflows its stack on a grouped
   * pattern over tens of megabytes.
   */
  dataBase64: z
    .string()
    .max(Math.ceil((64 * 2 ** 20 * 4) / 3) + 4)
    .refine(
      (data) => data.length % 4 === 0 && /^[A-Za-z0-9+/]*={0,2}$/.test(data),
      'standard base64 (A–Z a–z 0–9 + /, padded with = to a multiple of 4 characters)',
    ),
});
export const FilesUploadResponse = z.object({ path: z.string(), bytes: z.number().int() });
