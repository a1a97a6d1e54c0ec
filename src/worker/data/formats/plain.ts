/** Plain text and Markdown: the whole file is one document, Markdown kept as written. */
import type { DocumentFormat } from './format.ts';
import { decodeText, requireContent } from './text.ts';

export const plainText: DocumentFormat = {
  extensions: ['.txt', '.md'],
  read(bytes, path, id) {
    return Promise.resolve([{ id, text: requireContent(decodeText(bytes, path), path) }]);
  },
};
