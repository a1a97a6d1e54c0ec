/** Checks shared by the text-based formats: strict UTF-8 and non-empty content. */
import { UserInputError } from '../../../shared/errors.ts';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * Decodes UTF-8, refusing what is not text: invalid byte sequences, and NUL bytes (valid UTF-8,
 * but no text editor writes them; they mean a binary file with a text extension). A leading BOM
 * is dropped by the decoder.
 */
export function decodeText(bytes: Uint8Array, path: string): string {
  let text: string;
  try {
    text = strictUtf8.decode(bytes);
  } catch {
    throw new UserInputError(
      path,
      'is not UTF-8 text (binary data?); convert it to UTF-8 or remove it from the input',
    );
  }
  const nul = text.indexOf('\0');
  if (nul !== -1) {
    const line = text.slice(0, nul).split('\n').length;
    throw new UserInputError(
      path,
      `contains a NUL byte on line ${line} (binary data?); remove it from the input`,
    );
  }
  return text;
}

export function requireContent(text: string, path: string): string {
  if (text.trim() === '')
    throw new UserInputError(path, 'is empty (or only whitespace); add text or remove the file');
  return text;
}
