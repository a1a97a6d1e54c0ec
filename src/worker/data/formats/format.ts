import type { DocumentLimits } from '../limits.ts';

/**
 * What a document format module provides: the extensions it owns and a reader from a file's
 * bytes to documents. Readers throw `UserInputError` naming the file for anything the user
 * must fix (corrupt file, wrong encoding, missing field), never a library's raw error.
 */

export interface Document {
  readonly id: string;
  readonly text: string;
}

export interface DocumentFormat {
  /** Lower-case, with the dot: `.txt`. */
  readonly extensions: readonly string[];
  /**
   * `path` is where the file is (for error messages); `id` is its name relative to the path the
   * user gave, which prefixes every document id the file yields. `limits` bound what a
   * container format (a .docx zip) may unpack to.
   */
  read(bytes: Uint8Array, path: string, id: string, limits: DocumentLimits): Promise<Document[]>;
}
