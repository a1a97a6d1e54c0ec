/**
 * Writes safetensors files and sharded checkpoints. Every file goes to a temporary name first
 * and is renamed when complete, so a crash never leaves a half-written checkpoint behind.
 */
import { closeSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { encodeFloats, type FloatDtype } from './dtype.ts';
import { INDEX_FILE, SINGLE_FILE } from './checkpoint.ts';

export interface TensorToWrite {
  readonly name: string;
  readonly shape: readonly number[];
  readonly data: Float32Array;
}

/** Writes one file; tensors are laid out in the given order, header padded to 8 bytes. */
export function writeSafetensors(
  path: string,
  tensors: readonly TensorToWrite[],
  dtype: FloatDtype,
  metadata: Record<string, string> = {},
): void {
  const encoded = tensors.map((t) => ({ ...t, bytes: encodeFloats(t.data, dtype) }));
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const t of encoded) {
    header[t.name] = { dtype, shape: t.shape, data_offsets: [offset, offset + t.bytes.byteLength] };
    offset += t.bytes.byteLength;
  }
  let json = JSON.stringify(header);
  json += ' '.repeat((8 - (Buffer.byteLength(json) % 8)) % 8); // spec: pad with spaces
  const jsonBytes = Buffer.from(json, 'utf8');
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(jsonBytes.byteLength));

  writeAtomically(path, (fd) => {
    writeSync(fd, prefix);
    writeSync(fd, jsonBytes);
    for (const t of encoded) writeSync(fd, t.bytes);
  });
}

/** Writes `path` through `write(fd)` into `<path>.partial`, renamed when complete. */
export function writeAtomically(path: string, write: (fd: number) => void): void {
  const temp = `${path}.partial`;
  const fd = openSync(temp, 'w');
  try {
    write(fd);
  } catch (error) {
    closeSync(fd);
    rmSync(temp, { force: true });
    throw error;
  }
  closeSync(fd);
  renameSync(temp, path);
}

/**
 * Writes `model.safetensors`, or `model-0000i-of-0000n.safetensors` shards plus the index when
 * the tensors exceed `maxShardBytes`.
 */
export function writeCheckpoint(
  folder: string,
  tensors: readonly TensorToWrite[],
  dtype: FloatDtype,
  maxShardBytes = 4 * 1024 ** 3,
): string[] {
  const bytesPer = dtype === 'F32' ? 4 : 2;
  const shards: TensorToWrite[][] = [[]];
  let current = 0;
  for (const t of tensors) {
    const size = t.data.length * bytesPer;
    if (current > 0 && current + size > maxShardBytes) {
      shards.push([]);
      current = 0;
    }
    shards[shards.length - 1]!.push(t);
    current += size;
  }
  const metadata = { format: 'pt' };
  if (shards.length === 1) {
    writeSafetensors(join(folder, SINGLE_FILE), tensors, dtype, metadata);
    return [SINGLE_FILE];
  }
  const n = shards.length;
  const pad = (i: number) => String(i).padStart(5, '0');
  const names = shards.map((_, i) => `model-${pad(i + 1)}-of-${pad(n)}.safetensors`);
  const weightMap: Record<string, string> = {};
  let totalSize = 0;
  shards.forEach((shard, i) => {
    writeSafetensors(join(folder, names[i]!), shard, dtype, metadata);
    for (const t of shard) {
      weightMap[t.name] = names[i]!;
      totalSize += t.data.length * bytesPer;
    }
  });
  const indexPath = join(folder, INDEX_FILE);
  const temp = `${indexPath}.partial`;
  const fd = openSync(temp, 'w');
  writeSync(
    fd,
    JSON.stringify({ metadata: { total_size: totalSize }, weight_map: weightMap }, null, 2),
  );
  closeSync(fd);
  renameSync(temp, indexPath);
  return [...names, INDEX_FILE];
}
