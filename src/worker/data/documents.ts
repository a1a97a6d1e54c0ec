/**
 * Reads documents from a file or a folder (recursively, in name order). Formats are in
 * `formats/`, one module each, chosen by extension: plain text and Markdown, JSON lines,
 * CSV, HTML, PDF and Word. A document's id is its file name relative to the given path (a folder)
 * or the file's base name, plus `:<line>`/`:<row>` for formats holding many documents per file;
 * the scorer adds `#<chunk>` when it cuts a document into model-sized windows. Which files a path
 * stands for (links, FIFOs, devices) and the size limits: document-files.ts and limits.ts.
 */
import { extname } from 'node:path';
import { UserInputError } from '../../shared/errors.ts';
import { listInputFiles, readFileWithin, type InputFile } from './document-files.ts';
import { DOCUMENT_EXTENSIONS, formatFor } from './formats/index.ts';
import { readQaLines, type QaPair } from './formats/jsonl.ts';
import type { Document } from './formats/format.ts';
import { documentLimits, type DocumentLimits } from './limits.ts';

export type { Document } from './formats/format.ts';
export type { QaPair } from './formats/jsonl.ts';
export { DOCUMENT_EXTENSIONS } from './formats/index.ts';
export type { InputFile } from './document-files.ts';
export { documentLimits, type DocumentLimits } from './limits.ts';

/** Called before each file is read and once at the end: files done, the set's file count. */
export type ReadProgress = (label: string, done: number, total: number) => void;

export interface ReadOptions {
  /** Default: `documentLimits()`, the defaults or what the environment sets. */
  readonly limits?: DocumentLimits;
  readonly onProgress?: ReadProgress;
}

export async function readDocuments(path: string, options: ReadOptions = {}): Promise<Document[]> {
  const limits = options.limits ?? documentLimits();
  const files = await listInputFiles(path, DOCUMENT_EXTENSIONS, limits);
  const docs: Document[] = [];
  for (const [i, { file, id }] of files.entries()) {
    options.onProgress?.('loading documents', i, files.length);
    const ext = extname(file).toLowerCase();
    const format = formatFor(ext);
    if (format === undefined)
      throw new UserInputError(
        file,
        `unsupported document type "${ext}"; use ${DOCUMENT_EXTENSIONS.join(', ')}`,
      );
    docs.push(...(await format.read(await readFileWithin(file, limits), file, id, limits)));
  }
  options.onProgress?.('loading documents', files.length, files.length);
  return docs;
}

/** Question–answer pairs from a .jsonl file (or a folder of them): `question` and `answer`. */
export async function readQaPairs(path: string, options: ReadOptions = {}): Promise<QaPair[]> {
  const limits = options.limits ?? documentLimits();
  const pairs: QaPair[] = [];
  const files = await listInputFiles(path, ['.jsonl'], limits);
  for (const [i, { file, id }] of files.entries()) {
    options.onProgress?.('loading question–answer pairs', i, files.length);
    if (extname(file).toLowerCase() !== '.jsonl')
      throw new UserInputError(file, 'question–answer pairs must be a .jsonl file');
    pairs.push(...readQaLines(await readFileWithin(file, limits), file, id));
  }
  options.onProgress?.('loading question–answer pairs', files.length, files.length);
  return pairs;
}

/** The files `readDocuments` would read under `path`, with their sizes (nothing read yet). */
export async function listDocumentFiles(
  path: string,
  { qa = false, limits = documentLimits() }: { qa?: boolean; limits?: DocumentLimits } = {},
): Promise<InputFile[]> {
  return listInputFiles(path, qa ? ['.jsonl'] : DOCUMENT_EXTENSIONS, limits);
}
