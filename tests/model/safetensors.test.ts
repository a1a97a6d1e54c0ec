import { mkdirSync, mkdtempSync, readFileSync, writeFileSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { UserInputError } from '../../src/shared/errors.ts';
import {
  Checkpoint,
  SafetensorsFile,
  bfloat16ToFloat,
  countZeroFloats,
  decodeFloats,
  decodeFloatsChecked,
  findNonFinite,
  encodeFloats,
  floatToBfloat16,
  floatToHalf,
  halfToFloat,
  writeCheckpoint,
  writeSafetensors,
} from '../../src/worker/model/safetensors/index.ts';

const tmp = () => mkdtempSync(join(tmpdir(), 'nepenthe-st-'));

/** Builds a raw safetensors file from a header object and a data section. */
function rawFile(header: unknown, data: Uint8Array, declaredLength?: number): Buffer {
  const json = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(declaredLength ?? json.byteLength));
  return Buffer.concat([prefix, json, data]);
}

function expectInputError(fn: () => unknown, ...fragments: string[]): void {
  let caught: unknown;
  try {
    fn();
  } catch (error) {
    caught = error;
  }
  expect(caught).toBeInstanceOf(UserInputError);
  for (const fragment of fragments) expect((caught as Error).message).toContain(fragment);
}

describe('float16 and bfloat16 conversion', () => {
  it('converts known binary16 values both ways', () => {
    const cases: [number, number][] = [
      [1, 0x3c00],
      [-2, 0xc000],
      [65504, 0x7bff],
      [0.5, 0x3800],
      [2 ** -24, 0x0001],
      [0, 0x0000],
      [Infinity, 0x7c00],
      [-Infinity, 0xfc00],
    ];
    for (const [value, bits] of cases) {
      expect(floatToHalf(value)).toBe(bits);
      expect(halfToFloat(bits)).toBe(value);
    }
    expect(floatToHalf(70000)).toBe(0x7c00); // overflow → +Inf
    expect(Number.isNaN(halfToFloat(floatToHalf(NaN)))).toBe(true);
  });

  it('rounds to nearest even when narrowing', () => {
    // 1 + 2^-11 is halfway between 1 and 1 + 2^-10: ties go to the even mantissa (1).
    expect(floatToHalf(1 + 2 ** -11)).toBe(0x3c00);
    expect(floatToHalf(1 + 3 * 2 ** -11)).toBe(0x3c02);
    expect(floatToBfloat16(1 + 2 ** -8)).toBe(0x3f80);
    expect(floatToBfloat16(1 + 3 * 2 ** -8)).toBe(0x3f82);
    expect(bfloat16ToFloat(0x3f82)).toBe(1.015625);
  });

  it('round-trips every finite binary16 value', () => {
    for (let h = 0; h < 0x10000; h++) {
      const value = halfToFloat(h);
      if (!Number.isFinite(value)) continue;
      const back = floatToHalf(value);
      // ±0 both map to themselves; everything else exactly.
      expect(back === h || (value === 0 && (back & 0x7fff) === 0)).toBe(true);
    }
  });

  it('decodes and encodes whole tensors', () => {
    const values = new Float32Array([0.1, -3.25, 1000, 1e-3]);
    for (const dtype of ['F16', 'BF16'] as const) {
      const back = decodeFloats(encodeFloats(values, dtype), dtype);
      values.forEach((v, i) =>
        expect(Math.abs(back[i]! - v) / Math.abs(v)).toBeLessThan(dtype === 'F16' ? 1e-3 : 8e-3),
      );
    }
    expect(Array.from(decodeFloats(encodeFloats(values, 'F32'), 'F32'))).toEqual(
      Array.from(values),
    );
  });
});

describe('safetensors files', () => {
  it('writes and reads back a single file in each float dtype', () => {
    const dir = tmp();
    const a = new Float32Array([1, 2, 3, 4, 5, 6]);
    const b = new Float32Array([0.5, -0.25]);
    for (const dtype of ['F32', 'F16', 'BF16'] as const) {
      const path = join(dir, `${dtype}.safetensors`);
      writeSafetensors(
        path,
        [
          { name: 'a', shape: [2, 3], data: a },
          { name: 'b', shape: [2], data: b },
        ],
        dtype,
        { format: 'pt' },
      );
      const file = SafetensorsFile.open(path);
      expect(file.names.sort()).toEqual(['a', 'b']);
      expect(file.entry('a')).toMatchObject({ dtype, shape: [2, 3] });
      expect(Array.from(file.readFloat32('a'))).toEqual(Array.from(a));
      expect(Array.from(file.readFloat32('b'))).toEqual(Array.from(b));
      expect(file.header.metadata).toEqual({ format: 'pt' });
      expect((8 + Number(readFileSync(path).readBigUInt64LE(0))) % 8).toBe(0);
      file.close();
    }
  });

  it('writes and reads sharded checkpoints through the index', () => {
    const dir = tmp();
    const tensors = [0, 1, 2].map((i) => ({
      name: `w${i}`,
      shape: [4],
      data: new Float32Array([i, i + 1, i + 2, i + 3]),
    }));
    const written = writeCheckpoint(dir, tensors, 'BF16', 10); // 8 bytes a tensor → three shards
    expect(written).toEqual([
      'model-00001-of-00003.safetensors',
      'model-00002-of-00003.safetensors',
      'model-00003-of-00003.safetensors',
      'model.safetensors.index.json',
    ]);
    expect(readdirSync(dir).some((f) => f.endsWith('.partial'))).toBe(false);
    const checkpoint = Checkpoint.open(dir);
    expect(checkpoint.names.sort()).toEqual(['w0', 'w1', 'w2']);
    expect(checkpoint.files).toHaveLength(3);
    expect(Array.from(checkpoint.readFloat32('w2'))).toEqual([2, 3, 4, 5]);
    expect(checkpoint.dominantDtype()).toBe('BF16');
    checkpoint.close();
  });

  const bad = (name: string, bytes: Buffer) => {
    const path = join(tmp(), name);
    writeFileSync(path, bytes);
    return path;
  };
  const f32 = (n: number) => new Uint8Array(4 * n);

  it('rejects a truncated file', () => {
    const path = bad('short.safetensors', Buffer.from([1, 2, 3]));
    expectInputError(() => SafetensorsFile.open(path), path, 'truncated');
  });

  it('rejects a header length beyond the file', () => {
    const path = bad('long.safetensors', rawFile({}, f32(0), 1_000_000));
    expectInputError(() => SafetensorsFile.open(path), path, 'beyond the end of the file');
  });

  it('rejects invalid header JSON', () => {
    const path = bad('json.safetensors', rawFile('{"a": [1,', f32(0)));
    expectInputError(() => SafetensorsFile.open(path), path, 'invalid safetensors header JSON');
  });

  it('rejects offsets out of range', () => {
    const path = bad(
      'range.safetensors',
      rawFile({ a: { dtype: 'F32', shape: [4], data_offsets: [0, 16] } }, f32(2)),
    );
    expectInputError(() => SafetensorsFile.open(path), path, '"a"', 'beyond the data section');
  });

  it('rejects overlapping tensors', () => {
    const header = {
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    };
    const path = bad('overlap.safetensors', rawFile(header, f32(3)));
    expectInputError(() => SafetensorsFile.open(path), path, 'overlapping');
  });

  it('rejects an unknown dtype', () => {
    const path = bad(
      'dtype.safetensors',
      rawFile({ a: { dtype: 'F128', shape: [1], data_offsets: [0, 16] } }, f32(4)),
    );
    expectInputError(() => SafetensorsFile.open(path), path, 'unknown dtype "F128"');
  });

  it('rejects a shape whose size disagrees with the byte length', () => {
    const path = bad(
      'size.safetensors',
      rawFile({ a: { dtype: 'F32', shape: [3], data_offsets: [0, 16] } }, f32(4)),
    );
    expectInputError(
      () => SafetensorsFile.open(path),
      path,
      'needs 12 bytes but data_offsets span 16',
    );
  });

  it('refuses to read a non-float tensor as weights', () => {
    const path = bad(
      'int.safetensors',
      rawFile({ a: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, f32(2)),
    );
    const file = SafetensorsFile.open(path);
    expectInputError(() => file.readFloat32('a'), 'dtype I64');
    file.close();
  });

  it('rejects an index that names a missing shard', () => {
    const dir = tmp();
    writeFileSync(
      join(dir, 'model.safetensors.index.json'),
      JSON.stringify({ weight_map: { a: 'model-00001-of-00002.safetensors' } }),
    );
    expectInputError(() => Checkpoint.open(dir), 'model.safetensors.index.json', 'missing');
  });

  it('says what to do when a folder has no weights', () => {
    expectInputError(() => Checkpoint.open(tmp()), 'no model.safetensors');
  });
});

describe('countZeroFloats', () => {
  it('counts +0 and −0 from the stored bits of F32, F16 and BF16, and nothing else', () => {
    const values = Float32Array.of(0, -0, 1e-40, -2, 0, 3.5, 1.5e-45, -0); // 1.5e-45: float32's smallest subnormal
    for (const dtype of ['F32', 'F16', 'BF16'] as const) {
      const bytes = encodeFloats(values, dtype);
      const decoded = decodeFloats(bytes, dtype);
      const expected = decoded.filter((v) => v === 0).length; // F16 flushes 1e-40 to 0
      expect(countZeroFloats(bytes, dtype)).toBe(expected);
      // The same bytes at an odd offset of a bigger buffer (a shard's data need not be aligned).
      const shifted = new Uint8Array(bytes.length + 1);
      shifted.set(bytes, 1);
      expect(countZeroFloats(shifted.subarray(1), dtype)).toBe(expected);
    }
    expect(countZeroFloats(encodeFloats(values, 'F32'), 'F32')).toBe(4);
  });
});

describe('non-finite weights', () => {
  // The largest finite values must pass: F16 65504 (0x7bff) and BF16's 3.39e38 (0x7f7f) sit one
  // step below the all-ones exponent that marks NaN and Inf.
  const finite = Float32Array.of(0, -1.5, 65504, -65504, 1e-7, 3);
  it('finds NaN, +Inf and −Inf on the stored bits of F32, F16 and BF16, while converting', () => {
    for (const dtype of ['F32', 'F16', 'BF16'] as const) {
      expect(decodeFloatsChecked(encodeFloats(finite, dtype), dtype).nonFinite).toEqual({
        count: 0,
        first: -1,
      });
      const bad = Float32Array.of(1, 2, NaN, 4, Infinity, -Infinity);
      const bytes = encodeFloats(bad, dtype);
      expect(decodeFloatsChecked(bytes, dtype).nonFinite, dtype).toEqual({ count: 3, first: 2 });
      expect(findNonFinite(bytes, dtype), dtype).toEqual({ count: 3, first: 2 });
      const shifted = new Uint8Array(bytes.length + 1);
      shifted.set(bytes, 1);
      expect(findNonFinite(shifted.subarray(1), dtype), `${dtype} unaligned`).toEqual({
        count: 3,
        first: 2,
      });
    }
    expect(findNonFinite(encodeFloats(Float32Array.of(3.39e38), 'BF16'), 'BF16').count).toBe(0);
  });

  it('refuses a tensor holding NaN on load, naming the file and the tensor', () => {
    const dir = tmp();
    const path = join(dir, 'model.safetensors');
    writeSafetensors(
      path,
      [
        { name: 'ok', shape: [2], data: Float32Array.of(1, 2) },
        { name: 'bad', shape: [3], data: Float32Array.of(1, NaN, 3) },
      ],
      'F32',
    );
    const file = SafetensorsFile.open(path);
    try {
      expect(Array.from(file.readFloat32('ok'))).toEqual([1, 2]);
      expectInputError(() => file.readFloat32('bad'), path, '"bad"', 'element 1');
    } finally {
      file.close();
    }
  });

  it('refuses a folder where a safetensors file belongs, naming it', () => {
    const dir = tmp();
    const path = join(dir, 'model.safetensors');
    mkdirSync(path);
    expectInputError(() => SafetensorsFile.open(path), path, 'is a folder');
  });
});
