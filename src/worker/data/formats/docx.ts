/**
 * Word (.docx, Office Open XML): the document's raw text via mammoth, paragraphs separated by
 * blank lines; formatting, images and comments dropped. One document per file. The archive is
 * checked for a zip bomb (zip-limits.ts) before mammoth unpacks it.
 */
import mammoth from 'mammoth';
import { UserInputError } from '../../../shared/errors.ts';
import type { DocumentFormat } from './format.ts';
import { checkZipInflation } from './zip-limits.ts';

export const docx: DocumentFormat = {
  extensions: ['.docx'],
  async read(bytes, path, id, limits) {
    checkZipInflation(bytes, path, limits);
    let text: string;
    try {
      ({ value: text } = await mammoth.extractRawText({ buffer: Buffer.from(bytes) }));
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error);
      // jszip's wording for a file that is not a zip archive at all.
      const reason = /central directory/.test(message) ? 'not a zip archive' : message;
      throw new UserInputError(
        path,
        `is not a readable .docx file (${reason}); re-save it from Word as .docx or convert it to text`,
      );
    }
    if (text.trim() === '')
      throw new UserInputError(path, 'has no text; add text or remove the file');
    return [{ id, text: text.trim() }];
  },
};
