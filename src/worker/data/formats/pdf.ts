/**
 * PDF: the text layer of every page, via pdfjs-dist's legacy (Node) build, one document per
 * file with pages separated by blank lines. Runs in-process: the worker module is loaded on this
 * thread (`globalThis.pdfjsWorker`, pdfjs's hook for a main-thread worker) and nothing is
 * fetched (no CMaps, fonts or wasm; text extraction needs none of them). Scanned PDFs have no
 * text layer and are reported as such rather than read as empty.
 */
import { UserInputError } from '../../../shared/errors.ts';
import type { DocumentFormat } from './format.ts';

type PdfJs = typeof import('pdfjs-dist/legacy/build/pdf.mjs');

let pdfjs: Promise<PdfJs> | undefined;

function loadPdfJs(): Promise<PdfJs> {
  pdfjs ??= (async () => {
    const worker = await import('pdfjs-dist/legacy/build/pdf.worker.mjs');
    (globalThis as { pdfjsWorker?: unknown }).pdfjsWorker = worker;
    return import('pdfjs-dist/legacy/build/pdf.mjs');
  })();
  return pdfjs;
}

/** Line breaks where pdfjs marks an end of line; items on one line joined as laid out. */
function pageText(items: readonly unknown[]): string {
  let text = '';
  for (const item of items) {
    if (typeof item !== 'object' || item === null || !('str' in item)) continue;
    const { str, hasEOL } = item as { str: string; hasEOL?: boolean };
    text += str + (hasEOL === true ? '\n' : '');
  }
  return text.trim();
}

async function extractText(bytes: Uint8Array, path: string): Promise<string> {
  const { getDocument, VerbosityLevel } = await loadPdfJs();
  const task = getDocument({
    // A plain Uint8Array copy: pdfjs refuses Buffers and detaches the buffer it is given.
    data: new Uint8Array(bytes),
    useWorkerFetch: false,
    isEvalSupported: false,
    disableFontFace: true,
    stopAtErrors: true,
    verbosity: VerbosityLevel.ERRORS,
  });
  try {
    const pdf = await task.promise;
    const pages: string[] = [];
    for (let n = 1; n <= pdf.numPages; n++) {
      const page = await pdf.getPage(n);
      pages.push(pageText((await page.getTextContent()).items));
      page.cleanup();
    }
    return pages.filter((p) => p !== '').join('\n\n');
  } catch (error) {
    const name = error instanceof Error ? error.name : '';
    if (name === 'PasswordException')
      throw new UserInputError(path, 'is password-protected; remove the password and try again');
    const reason = error instanceof Error ? error.message : String(error);
    throw new UserInputError(
      path,
      `is not a readable PDF (${reason}); re-export it or convert it to text`,
    );
  } finally {
    await task.destroy();
  }
}

export const pdf: DocumentFormat = {
  extensions: ['.pdf'],
  async read(bytes, path, id) {
    const text = await extractText(bytes, path);
    if (text === '')
      throw new UserInputError(
        path,
        'has no text layer (a scanned PDF?); run OCR on it or convert it to text',
      );
    return [{ id, text }];
  },
};
