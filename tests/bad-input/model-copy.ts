/** The corpus's model fixtures: a copy of the tiny GPT-2 to break, and a header rewriter. */
import { cpSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

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
