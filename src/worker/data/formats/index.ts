/**
 * The document formats, by extension. Adding one: write a module exporting a `DocumentFormat`
 * and list it here.
 */
import { csv } from './csv.ts';
import { docx } from './docx.ts';
import type { DocumentFormat } from './format.ts';
import { html } from './html.ts';
import { jsonLines } from './jsonl.ts';
import { pdf } from './pdf.ts';
import { plainText } from './plain.ts';

const FORMATS: readonly DocumentFormat[] = [plainText, jsonLines, csv, html, pdf, docx];

export const DOCUMENT_EXTENSIONS: readonly string[] = FORMATS.flatMap((f) => f.extensions);

export function formatFor(extension: string): DocumentFormat | undefined {
  return FORMATS.find((f) => f.extensions.includes(extension.toLowerCase()));
}
