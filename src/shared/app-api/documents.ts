/**
 * Documents: what each file holds (documents, tokens, PII) and a preview with PII marked.
 * Part of the app API (../app-api.ts), which holds the channel table.
 */
import { z } from 'zod';
import { path } from './primitives.ts';

export const DocumentSet = z.enum(['forget', 'retain', 'holdout', 'qa']);
export type DocumentSet = z.infer<typeof DocumentSet>;

export const DocumentsDescribeRequest = z.strictObject({
  paths: z.array(path).min(1).max(1000),
  /** Token counts use this model's tokenizer; without it they are null. */
  model: path.optional(),
  /** The set the files go into: 'qa' reads question/answer pairs. */
  set: DocumentSet.optional(),
  /** Names to find as PII, beside the patterns. */
  names: z.array(z.string().min(1).max(200)).max(1000).optional(),
});
export const DocumentFile = z.object({
  path: z.string(),
  name: z.string(),
  bytes: z.number().int().nonnegative(),
  /** Documents (or QA pairs) read from the file or folder; 0 when it could not be read. */
  documents: z.number().int().nonnegative(),
  tokens: z.number().int().nonnegative().nullable(),
  characters: z.number().int().nonnegative(),
  piiSpans: z.number().int().nonnegative(),
  /** Why the file cannot be used (one line naming it); null when it is fine. */
  error: z.string().nullable(),
});
export type DocumentFile = z.infer<typeof DocumentFile>;
export const DocumentsDescribeResponse = z.object({ files: z.array(DocumentFile) });

export const PiiKind = z.enum(['email', 'iban', 'card', 'nationalId', 'dob', 'phone', 'name']);
export const DocumentsPreviewRequest = z.strictObject({
  path,
  /** Which document of a multi-document file (JSONL line, CSV row); default 0. */
  index: z.number().int().nonnegative().optional(),
  names: z.array(z.string().min(1).max(200)).max(1000).optional(),
});
export const DocumentPreview = z.object({
  path: z.string(),
  documentCount: z.number().int().nonnegative(),
  index: z.number().int().nonnegative(),
  id: z.string(),
  /** At most 20,000 characters of the document. */
  text: z.string(),
  truncated: z.boolean(),
  /** PII spans in `text`, by character offsets [start, end). */
  spans: z.array(
    z.object({
      start: z.number().int().nonnegative(),
      end: z.number().int().nonnegative(),
      kind: PiiKind,
    }),
  ),
});
export type DocumentPreview = z.infer<typeof DocumentPreview>;
