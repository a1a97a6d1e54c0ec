/**
 * How much a document set may make Nepenthe read, checked from sizes before anything is read:
 * a per-file limit (bytes on disk), a per-set limit (the files of one `--forget`, `--retain`,
 * `--holdout`, `--data` or `--calib` path together, on disk) and, for a .docx, a limit on what
 * its zip parts unpack to. A 200 MB text file or a 300 KB .docx that unpacks to 300 MB of XML is
 * refused with the numbers instead of being read into memory. The unpacked limit is the low one
 * because mammoth's XML tree costs ~120 bytes of memory per byte of dense WordprocessingML
 * (measured: 4 MB of XML 11 s and 0.6 GB, 16 MB 29 s and 2 GB, 60 MB over 3 min and 4.3 GB);
 * 8 MiB of document.xml is well over a thousand pages of ordinary Word text. Environment
 * variables (bytes) change each limit, for the CLI, `serve` and the worker alike (the worker
 * inherits the environment). docs/documents.md states the rules.
 */
import { UserInputError } from '../../shared/errors.ts';
import { binaryUnits } from '../../shared/byte-units.ts';

export interface DocumentLimits {
  /** Bytes one file may hold (a .docx: its parts unpacked). */
  readonly fileBytes: number;
  /** Bytes the files of one set may hold together. */
  readonly setBytes: number;
  /** Bytes a .docx's zip parts may unpack to, together. */
  readonly unpackedBytes: number;
}

const MiB = 2 ** 20;

export const DEFAULT_DOCUMENT_LIMITS: DocumentLimits = {
  fileBytes: 64 * MiB,
  setBytes: 256 * MiB,
  unpackedBytes: 8 * MiB,
};

export const FILE_LIMIT_VARIABLE = 'NEPENTHE_MAX_DOCUMENT_BYTES';
export const SET_LIMIT_VARIABLE = 'NEPENTHE_MAX_DOCUMENT_SET_BYTES';
export const UNPACKED_LIMIT_VARIABLE = 'NEPENTHE_MAX_DOCUMENT_UNPACKED_BYTES';

/** The limits in force: the defaults, or what the environment sets. */
export function documentLimits(env: NodeJS.ProcessEnv = process.env): DocumentLimits {
  return {
    fileBytes: bytesFrom(env, FILE_LIMIT_VARIABLE) ?? DEFAULT_DOCUMENT_LIMITS.fileBytes,
    setBytes: bytesFrom(env, SET_LIMIT_VARIABLE) ?? DEFAULT_DOCUMENT_LIMITS.setBytes,
    unpackedBytes: bytesFrom(env, UNPACKED_LIMIT_VARIABLE) ?? DEFAULT_DOCUMENT_LIMITS.unpackedBytes,
  };
}

function bytesFrom(env: NodeJS.ProcessEnv, name: string): number | undefined {
  const raw = env[name];
  if (raw === undefined || raw === '') return undefined;
  const bytes = Number(raw);
  if (!/^\d+$/.test(raw.trim()) || !Number.isSafeInteger(bytes) || bytes === 0)
    throw new UserInputError(undefined, `${name} must be a positive byte count, got "${raw}"`);
  return bytes;
}

/** `1.5 MiB` style sizes for messages (binary units, as the limits are stated). */
export function formatBytes(bytes: number): string {
  const scaled = binaryUnits(bytes);
  if (scaled === null) return `${bytes} bytes`;
  const { value, unit } = scaled;
  return `${value.toFixed(value < 10 ? 1 : 0).replace(/\.0$/, '')} ${unit}`;
}

/** Refuses one file over the per-file limit. */
export function checkFileSize(path: string, bytes: number, limits: DocumentLimits): void {
  if (bytes > limits.fileBytes)
    throw new UserInputError(
      path,
      `is ${formatBytes(bytes)}, over the ${formatBytes(limits.fileBytes)} limit for one ` +
        `document file; split it into smaller files or raise ${FILE_LIMIT_VARIABLE} (bytes)`,
    );
}

/** Refuses an archive whose parts unpack to more than the unpacked limit. */
export function checkUnpackedSize(path: string, bytes: number, limits: DocumentLimits): void {
  if (bytes > limits.unpackedBytes)
    throw new UserInputError(
      path,
      `unpacks to ${formatBytes(bytes)}, over the ${formatBytes(limits.unpackedBytes)} limit for ` +
        `what one .docx may unpack to; split the document or raise ${UNPACKED_LIMIT_VARIABLE} (bytes)`,
    );
}

export function checkSetSize(path: string, bytes: number, limits: DocumentLimits): void {
  if (bytes > limits.setBytes)
    throw new UserInputError(
      path,
      `its documents total ${formatBytes(bytes)}, over the ${formatBytes(limits.setBytes)} limit ` +
        `for one document set; choose fewer files or raise ${SET_LIMIT_VARIABLE} (bytes)`,
    );
}
