/**
 * Parameter count and sparsity of a model folder, read from its safetensors file(s) directly
 * (header: 8-byte little-endian length, then JSON `{name: {dtype, shape, data_offsets}}`, per
 * the safetensors format spec), so the report needs no tensor engine.
 */
import {
  closeSync,
  existsSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  statSync,
} from 'node:fs';
import { join } from 'node:path';

export interface ModelIdentity {
  readonly parameters: number;
  /** Fraction of exact zeros in the 2-D weight matrices, embeddings excluded; null if not read. */
  readonly sparsity: number | null;
}

interface TensorInfo {
  dtype: string;
  shape: number[];
  data_offsets: [number, number];
}

/** Sparsity is counted only below this size, so a report of a large model stays fast. */
const SPARSITY_MAX_BYTES = 256 * 1024 * 1024;
const EMBEDDING = /wte|wpe|embed|lm_head/;

export function readModelIdentity(folder: string): ModelIdentity | null {
  if (!existsSync(folder)) return null;
  const files = readdirSync(folder)
    .filter((f) => f.endsWith('.safetensors'))
    .sort();
  if (files.length === 0) return null;
  let parameters = 0;
  let zeros = 0;
  let counted = 0;
  let sparsityKnown = true;
  for (const file of files) {
    const path = join(folder, file);
    const { header, dataStart } = readHeader(path);
    const small = statSync(path).size <= SPARSITY_MAX_BYTES;
    const bytes = small ? readFileSync(path) : null;
    for (const [name, info] of Object.entries(header)) {
      if (name === '__metadata__') continue;
      const size = info.shape.reduce((a, b) => a * b, 1);
      parameters += size;
      if (info.shape.length !== 2 || EMBEDDING.test(name)) continue;
      if (bytes === null || !['F16', 'BF16', 'F32'].includes(info.dtype)) {
        sparsityKnown = false;
        continue;
      }
      zeros += countZeros(
        bytes,
        dataStart + info.data_offsets[0],
        dataStart + info.data_offsets[1],
        info.dtype,
      );
      counted += size;
    }
  }
  return { parameters, sparsity: sparsityKnown && counted > 0 ? zeros / counted : null };
}

function readHeader(path: string): { header: Record<string, TensorInfo>; dataStart: number } {
  const fd = openSync(path, 'r');
  try {
    const lengthBytes = Buffer.alloc(8);
    readSync(fd, lengthBytes, 0, 8, 0);
    const length = Number(lengthBytes.readBigUInt64LE(0));
    const json = Buffer.alloc(length);
    readSync(fd, json, 0, length, 8);
    return {
      header: JSON.parse(json.toString('utf8')) as Record<string, TensorInfo>,
      dataStart: 8 + length,
    };
  } finally {
    closeSync(fd);
  }
}

/** Zeros (+0 and −0) in a little-endian float tensor's bytes [start, end). */
function countZeros(bytes: Buffer, start: number, end: number, dtype: string): number {
  let zeros = 0;
  if (dtype === 'F32') {
    for (let i = start; i < end; i += 4) if ((bytes.readUInt32LE(i) & 0x7fffffff) === 0) zeros++;
  } else {
    for (let i = start; i < end; i += 2) if ((bytes.readUInt16LE(i) & 0x7fff) === 0) zeros++;
  }
  return zeros;
}
