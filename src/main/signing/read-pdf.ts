/**
 * Reading a report to verify, within a size cap checked before any byte is read: verify holds
 * the whole file, and its latin1 text, in memory (docs/signing.md, "Limits").
 */
import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { UserInputError } from '../../shared/errors.ts';

/**
 * The largest file `verify` reads (64 MiB). A Nepenthe report is a few pages with charts and
 * four JSON attachments: tens of KB to a few MB.
 */
export const MAX_PDF_BYTES = 64 * 1024 * 1024;

/** The file's bytes, or a UserInputError naming it when it is larger than MAX_PDF_BYTES. */
export function readReportPdf(path: string): Buffer {
  // O_NONBLOCK: a FIFO put where the file was checked opens at once (and is no file) instead
  // of waiting for a writer; for a regular file the flag changes nothing.
  const fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  try {
    const stats = fstatSync(fd);
    if (!stats.isFile()) throw new UserInputError(path, 'is not a regular file');
    if (stats.size > MAX_PDF_BYTES)
      throw new UserInputError(
        path,
        `the file is larger than ${MAX_PDF_BYTES / 2 ** 20} MiB, more than any Nepenthe report; not a report to verify`,
      );
    // At most the size seen now: a file that grows meanwhile is read only that far.
    const pdf = Buffer.alloc(stats.size);
    let done = 0;
    while (done < pdf.length) {
      const n = readSync(fd, pdf, done, pdf.length - done, done);
      if (n === 0) break;
      done += n;
    }
    return pdf.subarray(0, done);
  } finally {
    closeSync(fd);
  }
}
