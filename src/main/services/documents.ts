/**
 * `documents.describe` (what each chosen file holds: documents, characters, tokens, PII spans)
 * and `documents.preview` (one document's text with its PII spans marked). Read here in main,
 * with the worker's own readers, tokenizer and PII detector, so the numbers are the ones a run
 * will see; no tensors are built. A file that cannot be read is an entry with its error, not a
 * failed call: the officer sees which of many files is at fault.
 */
import { basename, resolve } from 'node:path';
import type { DocumentFile } from '../../shared/app-api.ts';
import { UserInputError } from '../../shared/errors.ts';
import { listDocumentFiles, readDocuments, readQaPairs } from '../../worker/data/documents.ts';
import { detectPii } from '../../worker/data/pii.ts';
import { loadTokenizer, type Tokenizer } from '../../worker/model/tokenizer.ts';
import type { Handlers } from '../ipc/dispatcher.ts';
import type { ServiceContext } from './context.ts';

type DocumentHandlers = Pick<Handlers, 'documents.describe' | 'documents.preview'>;

/** What the preview shows of one document at most. */
export const PREVIEW_CHARACTERS = 20_000;

export function documentHandlers(context: ServiceContext): DocumentHandlers {
  return {
    async 'documents.describe'({ paths, model, set, names }) {
      const tokenizer = model === undefined ? null : loadTokenizer(resolve(model));
      const files: DocumentFile[] = [];
      for (const [i, raw] of paths.entries()) {
        files.push(await describeFile(resolve(raw), set === 'qa', tokenizer, names ?? []));
        if (paths.length > 1)
          context.events.emit({
            kind: 'task.progress',
            task: 'describe documents',
            label: basename(raw),
            done: i + 1,
            total: paths.length,
          });
      }
      return { files };
    },
    async 'documents.preview'({ path, index = 0, names }) {
      const file = resolve(path);
      const documents = await readDocuments(file);
      const document = documents[index];
      if (document === undefined)
        throw new UserInputError(
          file,
          `has ${documents.length} document${documents.length === 1 ? '' : 's'}; there is no number ${index + 1}`,
        );
      const text = document.text.slice(0, PREVIEW_CHARACTERS);
      return {
        path: file,
        documentCount: documents.length,
        index,
        id: document.id,
        text,
        truncated: document.text.length > text.length,
        spans: detectPii(text, { names: names ?? [] }).map(({ start, end, kind }) => ({
          start,
          end,
          kind,
        })),
      };
    },
  };
}

async function describeFile(
  path: string,
  qa: boolean,
  tokenizer: Tokenizer | null,
  names: readonly string[],
): Promise<DocumentFile> {
  const entry = { path, name: basename(path) };
  try {
    // The bytes of the files a run reads (links to files followed), not of everything here.
    const bytes = (await listDocumentFiles(path, { qa })).reduce((n, f) => n + f.bytes, 0);
    const texts = qa
      ? (await readQaPairs(path)).map((p) => `${p.question}\n${p.answer}`)
      : (await readDocuments(path)).map((d) => d.text);
    return {
      ...entry,
      bytes,
      documents: texts.length,
      characters: texts.reduce((n, t) => n + t.length, 0),
      tokens: tokenizer === null ? null : texts.reduce((n, t) => n + tokenizer.encode(t).length, 0),
      piiSpans: texts.reduce((n, t) => n + detectPii(t, { names }).length, 0),
      error: null,
    };
  } catch (error) {
    const message = (error instanceof Error ? error.message : String(error)).split('\n')[0]!;
    return {
      ...entry,
      bytes: 0,
      documents: 0,
      tokens: null,
      characters: 0,
      piiSpans: 0,
      error: message.includes(path) ? message : `${path}: ${message}`,
    };
  }
}
