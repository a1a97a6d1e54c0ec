/**
 * Safetensors dtypes and the float conversions tfjs needs: tfjs holds float32 only, so F16 and
 * BF16 are widened on read and narrowed on write. Node 20 has no Float16Array, so both are
 * converted by hand (IEEE 754 binary16; bfloat16 = the top 16 bits of a binary32).
 */

/** Every dtype the safetensors format defines (huggingface/safetensors, `Dtype`). */
export const KNOWN_DTYPES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  I64: 8,
  U64: 8,
  F64: 8,
} as const;

export type SafetensorsDtype = keyof typeof KNOWN_DTYPES;
/** The float dtypes Nepenthe reads into and writes from float32. */
export type FloatDtype = 'F32' | 'F16' | 'BF16';

export function isKnownDtype(name: string): name is SafetensorsDtype {
  return Object.hasOwn(KNOWN_DTYPES, name);
}

export function isFloatDtype(name: string): name is FloatDtype {
  return name === 'F32' || name === 'F16' || name === 'BF16';
}

export function bytesPerElement(dtype: SafetensorsDtype): number {
  return KNOWN_DTYPES[dtype];
}

const scratch = new DataView(new ArrayBuffer(4));

export function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exponent = (h >> 10) & 0x1f;
  const mantissa = h & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24; // subnormal
  if (exponent === 0x1f) return mantissa ? NaN : sign * Infinity;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/** float32 → binary16 bits, round to nearest even, overflow to ±Inf. */
export function floatToHalf(value: number): number {
  scratch.setFloat32(0, value, true);
  const bits = scratch.getUint32(0, true);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  let mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const e = exponent - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign; // underflows to ±0
    mantissa |= 0x800000;
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mantissa & ((1 << shift) - 1);
    let result = mantissa >>> shift;
    if (rest > half || (rest === half && result & 1)) result += 1;
    return sign | result;
  }
  const rest = mantissa & 0x1fff;
  let result = (e << 10) | (mantissa >>> 13);
  if (rest > 0x1000 || (rest === 0x1000 && result & 1)) result += 1; // may carry into exponent: correct
  return sign | result;
}

export function bfloat16ToFloat(b: number): number {
  scratch.setUint32(0, b << 16, true);
  return scratch.getFloat32(0, true);
}

/** float32 → bfloat16 bits, round to nearest even (as torch does), NaN kept quiet. */
export function floatToBfloat16(value: number): number {
  scratch.setFloat32(0, value, true);
  const bits = scratch.getUint32(0, true);
  if ((bits & 0x7fffffff) > 0x7f800000) return ((bits >>> 16) | 0x40) & 0xffff;
  const rounding = 0x7fff + ((bits >>> 16) & 1);
  return ((bits + rounding) >>> 16) & 0xffff;
}

let halfTable: Float32Array | undefined;
/** All 65,536 binary16 values, widened once: decoding F16 is then one lookup per element. */
function halfToFloatTable(): Float32Array {
  if (!halfTable) {
    halfTable = new Float32Array(65536);
    for (let h = 0; h < 65536; h++) halfTable[h] = halfToFloat(h);
  }
  return halfTable;
}

/** Copy of `bytes` as 16-bit words (copied, so the source's alignment does not matter). */
function words16(bytes: Uint8Array): Uint16Array {
  const words = new Uint16Array(bytes.byteLength / 2);
  new Uint8Array(words.buffer).set(bytes);
  return words;
}

// The typed-array paths below assume a little-endian host, as every platform Node ships on is.

/**
 * Elements equal to zero (+0 or −0) of little-endian float bytes, read from the bit patterns
 * without widening: a float is zero exactly when every bit but the sign is 0.
 */
export function countZeroFloats(bytes: Uint8Array, dtype: FloatDtype): number {
  const aligned = bytes.byteOffset % 4 === 0 && bytes.byteLength % 4 === 0;
  const data = aligned ? bytes : bytes.slice();
  let zeros = 0;
  if (dtype === 'F32') {
    const words = new Uint32Array(data.buffer, data.byteOffset, data.byteLength / 4);
    for (let i = 0; i < words.length; i++) if ((words[i]! & 0x7fffffff) === 0) zeros++;
    return zeros;
  }
  // F16 and BF16: one sign bit on top of 15 others in each 16-bit half.
  const halves = new Uint16Array(data.buffer, data.byteOffset, Math.floor(data.byteLength / 2));
  for (let i = 0; i < halves.length; i++) if ((halves[i]! & 0x7fff) === 0) zeros++;
  return zeros;
}

/** Where a tensor's NaN and ±Inf elements are: how many, and the index of the first (or -1). */
export interface NonFinite {
  readonly count: number;
  readonly first: number;
}

/**
 * Little-endian raw bytes of one tensor → float32 values, and its non-finite elements found on
 * the stored bit patterns in the same pass (all exponent bits set: F32 0x7f800000, F16 0x7c00,
 * BF16 0x7f80), so a corrupt checkpoint is caught at load for the price of one mask per element.
 */
export function decodeFloatsChecked(
  bytes: Uint8Array,
  dtype: FloatDtype,
): { values: Float32Array; nonFinite: NonFinite } {
  let count = 0;
  let first = -1;
  const bad = (i: number) => {
    if (count++ === 0) first = i;
  };
  if (dtype === 'F32') {
    const values = new Float32Array(bytes.byteLength / 4);
    new Uint8Array(values.buffer).set(bytes);
    const bits = new Uint32Array(values.buffer);
    for (let i = 0; i < bits.length; i++) if ((bits[i]! & 0x7f800000) === 0x7f800000) bad(i);
    return { values, nonFinite: { count, first } };
  }
  const words = words16(bytes);
  const values = new Float32Array(words.length);
  if (dtype === 'F16') {
    const table = halfToFloatTable();
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      values[i] = table[w]!;
      if ((w & 0x7c00) === 0x7c00) bad(i);
    }
  } else {
    const bits = new Uint32Array(values.buffer);
    for (let i = 0; i < words.length; i++) {
      const w = words[i]!;
      bits[i] = w << 16;
      if ((w & 0x7f80) === 0x7f80) bad(i);
    }
  }
  return { values, nonFinite: { count, first } };
}

/** Little-endian raw bytes of one tensor → float32 values, unchecked. */
export function decodeFloats(bytes: Uint8Array, dtype: FloatDtype): Float32Array {
  return decodeFloatsChecked(bytes, dtype).values;
}

/** The non-finite elements of little-endian float bytes, read from the bit patterns alone. */
export function findNonFinite(bytes: Uint8Array, dtype: FloatDtype): NonFinite {
  const aligned = bytes.byteOffset % 4 === 0 && bytes.byteLength % 4 === 0;
  const data = aligned ? bytes : bytes.slice();
  let count = 0;
  let first = -1;
  if (dtype === 'F32') {
    const words = new Uint32Array(data.buffer, data.byteOffset, data.byteLength / 4);
    for (let i = 0; i < words.length; i++)
      if ((words[i]! & 0x7f800000) === 0x7f800000 && count++ === 0) first = i;
    return { count, first };
  }
  const mask = dtype === 'F16' ? 0x7c00 : 0x7f80;
  const halves = new Uint16Array(data.buffer, data.byteOffset, Math.floor(data.byteLength / 2));
  for (let i = 0; i < halves.length; i++)
    if ((halves[i]! & mask) === mask && count++ === 0) first = i;
  return { count, first };
}

/** float32 values → little-endian raw bytes in `dtype`. */
export function encodeFloats(values: Float32Array, dtype: FloatDtype): Uint8Array {
  if (dtype === 'F32') {
    return new Uint8Array(
      values.buffer.slice(values.byteOffset, values.byteOffset + values.byteLength),
    );
  }
  const words = new Uint16Array(values.length);
  const narrow = dtype === 'F16' ? floatToHalf : floatToBfloat16;
  for (let i = 0; i < values.length; i++) words[i] = narrow(values[i]!);
  return new Uint8Array(words.buffer);
}
