/**
 * CSV (RFC 4180, header row required): each row's `text` column is a document; other columns
 * are ignored. Ids are `<file>:<row>`, the 1-based data row (the header is not counted).
 */
import { parse } from 'csv-parse/sync';
import { UserInputError } from '../../../shared/errors.ts';
import type { DocumentFormat } from './format.ts';
import { decodeText, requireContent } from './text.ts';

export const csv: DocumentFormat = {
  extensions: ['.csv'],
  read(bytes, path, id) {
    const source = requireContent(decodeText(bytes, path), path);
    let rows: string[][];
    try {
      rows = parse(source, { skip_empty_lines: true, bom: true }) as string[][];
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      throw new UserInputError(path, `is not valid CSV (${reason})`);
    }
    const [header = [], ...data] = rows;
    const column = header.map((name) => name.trim()).indexOf('text');
    if (column === -1)
      throw new UserInputError(
        path,
        `has no "text" column (header: ${header.join(', ')}); name the column holding documents "text"`,
      );
    return Promise.resolve(
      data.map((row, i) => {
        const text = row[column];
        if (text === undefined || text.trim() === '')
          throw new UserInputError(path, `row ${i + 1} has an empty "text" column`);
        return { id: `${id}:${i + 1}`, text };
      }),
    );
  },
};
