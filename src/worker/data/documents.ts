/**
 * Reads documents from a file or a folder (recursively, in name order). Formats are in
 * `formats/`, one module each, chosen by extension: plain text and Markdown, JSON lines,
 * CSV, HTML, PDF and Word. A document's id is its file name relative to the given path (a folder)
 * or the file's base name, plus `:<line>`/`:<row>` for formats holding many documents per file;
 * the scorer adds `#<chunk>` when it cuts a document into model-sized windows.
 */
import { readFile, readdir, stat } from 'node:fs/promises';
import { basename, extname, join, relative } from 'node:path';
import { UserInputError } from '../../shared/errors.ts';
import { DOCUMENT_EXTENSIONS, formatFor } from './formats/index.ts';
import { readQaLines, type QaPair } from './formats/jsonl.ts';
import type { Document } from './formats/format.ts';

export type { Document } from './formats/format.ts';
export type { QaPair } from './formats/jsonl.ts';
export { DOCUMENT_EXTENSIONS } from './formats/index.ts';

export async function readDocuments(path: string): Promise<Document[]> {
  const files = await inputFiles(path, DOCUMENT_EXTENSIONS);
  const docs: Document[] = [];
  for (const { file, id } of files) {
    const ext = extname(file).toLowerCase();
    const format = formatFor(ext);
    if (format === undefined)
      throw new UserInputError(
        file,
        `unsupported document type "${ext}"; use ${DOCUMENT_EXTENSIONS.join(', ')}`,
      );
    docs.push(...(await format.read(await readBytes(file), file, id)));
  }
  return docs;
}

/** Question–answer pairs from a .jsonl file (or a folder of them): `question` and `answer`. */
export async function readQaPairs(path: string): Promise<QaPair[]> {
  const pairs: QaPair[] = [];
  for (const { file, id } of await inputFiles(path, ['.jsonl'])) {
    if (extname(file).toLowerCase() !== '.jsonl')
      throw new UserInputError(file, 'question–answer pairs must be a .jsonl file');
    pairs.push(...readQaLines(await readBytes(file), file, id));
  }
  return pairs;
}

interface InputFile {
  readonly file: string;
  readonly id: string;
}

/** The file itself, or every file under the folder with one of `extensions`. */
async function inputFiles(path: string, extensions: readonly string[]): Promise<InputFile[]> {
  let stats;
  try {
    stats = await stat(path);
  } catch {
    throw new UserInputError(path, 'no such file or folder');
  }
  if (stats.isFile()) return [{ file: path, id: basename(path) }];
  const files = (await listFiles(path)).filter((f) =>
    extensions.includes(extname(f).toLowerCase()),
  );
  if (files.length === 0)
    throw new UserInputError(path, `no documents in folder (looked for ${extensions.join(', ')})`);
  // Ids use '/' on every platform so they are stable across machines.
  return files.map((file) => ({ file, id: relative(path, file).split('\\').join('/') }));
}

async function listFiles(folder: string): Promise<string[]> {
  const out: string[] = [];
  const entries = (await readdir(folder, { withFileTypes: true })).sort((a, b) =>
    a.name < b.name ? -1 : a.name > b.name ? 1 : 0,
  );
  for (const entry of entries) {
    const full = join(folder, entry.name);
    if (entry.isDirectory()) out.push(...(await listFiles(full)));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

async function readBytes(file: string): Promise<Uint8Array> {
  try {
    return await readFile(file);
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'read error';
    throw new UserInputError(file, `cannot be read (${code}); check its permissions`);
  }
}
