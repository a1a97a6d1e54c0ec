/**
 * The safetensors header: 8 bytes little-endian u64 N, then N bytes of JSON
 * `{name: {dtype, shape, data_offsets: [begin, end]}, "__metadata__"?: {string: string}}`,
 * offsets relative to the byte after the header (huggingface/safetensors, "Format").
 * Every check here names the file and the tensor, so a user knows which file is damaged.
 */
import { UserInputError } from '../../../shared/errors.ts';
import { bytesPerElement, isKnownDtype, type SafetensorsDtype } from './dtype.ts';

export interface TensorEntry {
  readonly name: string;
  readonly dtype: SafetensorsDtype;
  readonly shape: readonly number[];
  /** Absolute byte offsets in the file, [begin, end). */
  readonly begin: number;
  readonly end: number;
}

export interface SafetensorsHeader {
  readonly entries: ReadonlyMap<string, TensorEntry>;
  readonly metadata: Readonly<Record<string, string>>;
  /** 8 + N: where the data section starts. */
  readonly dataStart: number;
}

/** Headers beyond this are refused as corrupt rather than allocated (the reference impl uses 100 MB). */
export const MAX_HEADER_BYTES = 100_000_000;

/** Reads N from the first 8 bytes and checks it against the file's size. */
export function headerLength(prefix: Uint8Array, fileSize: number, path: string): number {
  if (fileSize < 8 || prefix.byteLength < 8) {
    throw new UserInputError(
      path,
      `truncated safetensors file: ${fileSize} bytes, too short for the 8-byte header length`,
    );
  }
  const n = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (n > BigInt(fileSize - 8)) {
    throw new UserInputError(
      path,
      `safetensors header length ${n} runs beyond the end of the file (${fileSize} bytes); the file is truncated or not safetensors`,
    );
  }
  if (n > BigInt(MAX_HEADER_BYTES)) {
    throw new UserInputError(
      path,
      `safetensors header length ${n} exceeds ${MAX_HEADER_BYTES} bytes; the file is corrupt`,
    );
  }
  return Number(n);
}

export function parseHeader(json: Uint8Array, fileSize: number, path: string): SafetensorsHeader {
  let raw: unknown;
  try {
    raw = JSON.parse(new TextDecoder('utf-8', { fatal: true }).decode(json));
  } catch (error) {
    throw new UserInputError(
      path,
      `invalid safetensors header JSON (${(error as Error).message}); the file is corrupt or not safetensors`,
    );
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new UserInputError(path, 'invalid safetensors header: the JSON is not an object');
  }
  const dataStart = 8 + json.byteLength;
  const dataSize = fileSize - dataStart;
  const entries = new Map<string, TensorEntry>();
  let metadata: Record<string, string> = {};
  for (const [name, value] of Object.entries(raw)) {
    if (name === '__metadata__') {
      metadata = parseMetadata(value, path);
      continue;
    }
    entries.set(name, parseEntry(name, value, dataStart, dataSize, path));
  }
  checkNoOverlap([...entries.values()], path);
  return { entries, metadata, dataStart };
}

function parseMetadata(value: unknown, path: string): Record<string, string> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new UserInputError(
      path,
      'invalid safetensors header: __metadata__ must be an object of strings',
    );
  }
  for (const [key, v] of Object.entries(value)) {
    if (typeof v !== 'string') {
      throw new UserInputError(
        path,
        `invalid safetensors header: __metadata__.${key} must be a string`,
      );
    }
  }
  return value as Record<string, string>;
}

function parseEntry(
  name: string,
  value: unknown,
  dataStart: number,
  dataSize: number,
  path: string,
): TensorEntry {
  const bad = (what: string) => new UserInputError(path, `tensor "${name}": ${what}`);
  if (typeof value !== 'object' || value === null) throw bad('header entry is not an object');
  const { dtype, shape, data_offsets: offsets } = value as Record<string, unknown>;
  if (typeof dtype !== 'string') throw bad('dtype missing');
  if (!isKnownDtype(dtype)) throw bad(`unknown dtype "${dtype}"`);
  if (!Array.isArray(shape) || !shape.every((d) => Number.isSafeInteger(d) && d >= 0)) {
    throw bad('shape must be a list of non-negative integers');
  }
  if (
    !Array.isArray(offsets) ||
    offsets.length !== 2 ||
    !offsets.every((o) => Number.isSafeInteger(o) && o >= 0)
  ) {
    throw bad('data_offsets must be [begin, end] of non-negative integers');
  }
  const [begin, end] = offsets as [number, number];
  if (begin > end) throw bad(`data_offsets [${begin}, ${end}] are reversed`);
  if (end > dataSize) {
    throw bad(
      `data_offsets [${begin}, ${end}] run beyond the data section (${dataSize} bytes); the file is truncated`,
    );
  }
  const elements = (shape as number[]).reduce((a, b) => a * b, 1);
  const expected = elements * bytesPerElement(dtype);
  if (expected !== end - begin) {
    throw bad(
      `shape [${shape.join(', ')}] of ${dtype} needs ${expected} bytes but data_offsets span ${end - begin}`,
    );
  }
  return { name, dtype, shape: shape as number[], begin: dataStart + begin, end: dataStart + end };
}

function checkNoOverlap(entries: TensorEntry[], path: string): void {
  const sorted = entries.filter((e) => e.end > e.begin).sort((a, b) => a.begin - b.begin);
  for (let i = 1; i < sorted.length; i++) {
    const previous = sorted[i - 1]!;
    const current = sorted[i]!;
    if (current.begin < previous.end) {
      throw new UserInputError(
        path,
        `tensors "${previous.name}" and "${current.name}" have overlapping data_offsets`,
      );
    }
  }
}
