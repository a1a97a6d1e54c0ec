/**
 * The corpus's model fixtures: a copy of the tiny GPT-2 to break, a header rewriter, and
 * weight rewriters (another storage dtype, one element set to NaN or Inf).
 */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import {
  encodeFloats,
  floatToBfloat16,
  floatToHalf,
} from '../../src/worker/model/safetensors/dtype.ts';

export const TINY = fileURLToPath(new URL('../../resources/tiny-gpt2', import.meta.url));

/** A copy of the tiny GPT-2 at `<dir>/model`, with a one-line document beside it at `<dir>/doc.txt`. */
export function copyModel(dir: string): { model: string; doc: string } {
  const model = join(dir, 'model');
  cpSync(TINY, model, { recursive: true });
  const doc = join(dir, 'doc.txt');
  writeFileSync(doc, 'hello\n');
  return { model, doc };
}

export type SafetensorsHeader = Record<string, { dtype: string; data_offsets: number[] }>;

/** Rewrites `<model>/model.safetensors`' header (keeping its data) via `edit`; returns the file. */
export function editHeader(
  model: string,
  edit: (header: SafetensorsHeader) => void,
  declared?: (n: number) => number,
): string {
  const path = join(model, 'model.safetensors');
  const bytes = readFileSync(path);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as SafetensorsHeader;
  edit(header);
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(declared ? declared(json.byteLength) : json.byteLength));
  writeFileSync(path, Buffer.concat([prefix, json, bytes.subarray(8 + n)]));
  return path;
}

type StoredFloat = 'F32' | 'F16' | 'BF16';

/** Reads `<model>/model.safetensors` as header + data section. */
function readWeights(model: string) {
  const path = join(model, 'model.safetensors');
  const bytes = readFileSync(path);
  const n = Number(bytes.readBigUInt64LE(0));
  const header = JSON.parse(bytes.subarray(8, 8 + n).toString('utf8')) as SafetensorsHeader;
  return { path, header, data: bytes.subarray(8 + n) };
}

function writeWeights(path: string, header: SafetensorsHeader, data: Buffer): void {
  const json = Buffer.from(JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(json.byteLength));
  writeFileSync(path, Buffer.concat([prefix, json, data]));
}

/** Stores every F32 tensor of `<model>/model.safetensors` as `dtype` instead (as torch's .half()). */
export function storeAs(model: string, dtype: 'F16' | 'BF16'): void {
  const { path, header, data } = readWeights(model);
  const parts: Buffer[] = [];
  let offset = 0;
  for (const [name, entry] of Object.entries(header)) {
    if (name === '__metadata__') continue;
    const [begin, end] = entry.data_offsets as [number, number];
    const f32 = new Float32Array(data.buffer.slice(data.byteOffset + begin, data.byteOffset + end));
    const narrowed = Buffer.from(encodeFloats(f32, dtype));
    entry.dtype = dtype;
    entry.data_offsets = [offset, offset + narrowed.byteLength];
    offset += narrowed.byteLength;
    parts.push(narrowed);
  }
  writeWeights(path, header, Buffer.concat(parts));
}

/** Sets element `index` of `tensor` to `value` (NaN, ±Infinity) in its stored dtype; returns the file. */
export function setElement(model: string, tensor: string, value: number, index = 0): string {
  const { path, header, data } = readWeights(model);
  const entry = header[tensor]!;
  const at = entry.data_offsets[0]! + index * (entry.dtype === 'F32' ? 4 : 2);
  const out = Buffer.from(data);
  const dtype = entry.dtype as StoredFloat;
  if (dtype === 'F32') out.writeFloatLE(value, at);
  else out.writeUInt16LE(dtype === 'F16' ? floatToHalf(value) : floatToBfloat16(value), at);
  writeWeights(path, header, out);
  return path;
}
