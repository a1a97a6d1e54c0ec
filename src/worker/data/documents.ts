/**
 * Reads documents from a file or a folder. Plain text formats for now (.txt, .md) and JSON lines
 * (.jsonl, one document per line in a "text" field); each document's id is its file name
 * relative to the given path (plus `:<line>` for JSON lines).
 */
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import { UserInputError } from '../../shared/errors.ts';

export interface Document {
  readonly id: string;
  readonly text: string;
}

export const DOCUMENT_EXTENSIONS = ['.txt', '.md', '.jsonl'] as const;

export function readDocuments(path: string): Document[] {
  let stats;
  try {
    stats = statSync(path);
  } catch {
    throw new UserInputError(path, 'no such file or folder');
  }
  if (stats.isFile()) return readFile(path, basename(path));
  const files = listFiles(path).filter((f) =>
    (DOCUMENT_EXTENSIONS as readonly string[]).includes(extname(f).toLowerCase()),
  );
  if (files.length === 0) {
    throw new UserInputError(
      path,
      `no documents in folder (looked for ${DOCUMENT_EXTENSIONS.join(', ')})`,
    );
  }
  return files.flatMap((f) => readFile(f, relative(path, f)));
}

function listFiles(folder: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(folder, { withFileTypes: true }).sort((a, b) =>
    a.name < b.name ? -1 : 1,
  )) {
    const full = join(folder, entry.name);
    if (entry.isDirectory()) out.push(...listFiles(full));
    else if (entry.isFile()) out.push(full);
  }
  return out;
}

function readFile(path: string, id: string): Document[] {
  const ext = extname(path).toLowerCase();
  if (!(DOCUMENT_EXTENSIONS as readonly string[]).includes(ext)) {
    throw new UserInputError(
      path,
      `unsupported document type "${ext}"; use ${DOCUMENT_EXTENSIONS.join(', ')}`,
    );
  }
  const text = readFileSync(path, 'utf8');
  if (ext !== '.jsonl') return [{ id, text }];
  const docs: Document[] = [];
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let record: unknown;
    try {
      record = JSON.parse(line);
    } catch {
      throw new UserInputError(path, `line ${i + 1} is not valid JSON`);
    }
    const value = (record as { text?: unknown } | null)?.text;
    if (typeof value !== 'string')
      throw new UserInputError(path, `line ${i + 1} has no string "text" field`);
    docs.push({ id: `${id}:${i + 1}`, text: value });
  });
  return docs;
}
