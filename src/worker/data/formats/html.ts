/**
 * HTML: the visible text of the page, one document per file. Script, style and other
 * non-rendered elements are dropped; block elements become line breaks.
 */
import { parse } from 'node-html-parser';
import { UserInputError } from '../../../shared/errors.ts';
import type { DocumentFormat } from './format.ts';
import { decodeText } from './text.ts';

const HIDDEN = 'script, style, noscript, template, head';

export function htmlToText(html: string): string {
  const root = parse(html, { comment: false });
  for (const element of root.querySelectorAll(HIDDEN)) element.remove();
  return root.structuredText
    .split('\n')
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .filter((line) => line !== '')
    .join('\n');
}

export const html: DocumentFormat = {
  extensions: ['.html', '.htm'],
  read(bytes, path, id) {
    const text = htmlToText(decodeText(bytes, path));
    if (text === '')
      throw new UserInputError(path, 'has no visible text; add text or remove the file');
    return Promise.resolve([{ id, text }]);
  },
};
