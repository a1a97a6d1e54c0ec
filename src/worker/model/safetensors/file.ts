/**
 * One safetensors file opened for reading. Tensors are read one at a time with positioned reads,
 * so a multi-gigabyte checkpoint is never held in memory twice (raw bytes of one tensor plus its
 * float32 copy at most).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { UserInputError } from '../../../shared/errors.ts';
import { decodeFloats, isFloatDtype } from './dtype.ts';
import { headerLength, parseHeader, type SafetensorsHeader, type TensorEntry } from './header.ts';

export class SafetensorsFile {
  private constructor(
    readonly path: string,
    private fd: number | undefined,
    readonly header: SafetensorsHeader,
  ) {}

  static open(path: string): SafetensorsFile {
    let fd: number;
    try {
      fd = openSync(path, 'r');
    } catch (error) {
      throw new UserInputError(
        path,
        `cannot open safetensors file (${(error as NodeJS.ErrnoException).code ?? (error as Error).message})`,
      );
    }
    try {
      const size = fstatSync(fd).size;
      const prefix = readExactly(fd, 0, Math.min(8, size));
      const n = headerLength(prefix, size, path);
      const header = parseHeader(readExactly(fd, 8, n), size, path);
      return new SafetensorsFile(path, fd, header);
    } catch (error) {
      closeSync(fd);
      throw error;
    }
  }

  get names(): string[] {
    return [...this.header.entries.keys()];
  }

  entry(name: string): TensorEntry | undefined {
    return this.header.entries.get(name);
  }

  /** Raw little-endian bytes of one tensor. */
  readBytes(name: string): Uint8Array {
    const entry = this.requireEntry(name);
    return readExactly(this.requireFd(), entry.begin, entry.end - entry.begin);
  }

  /** One float tensor widened to float32. */
  readFloat32(name: string): Float32Array {
    const entry = this.requireEntry(name);
    if (!isFloatDtype(entry.dtype)) {
      throw new UserInputError(
        this.path,
        `tensor "${name}" has dtype ${entry.dtype}; Nepenthe reads F32, F16 and BF16 weights only`,
      );
    }
    return decodeFloats(this.readBytes(name), entry.dtype);
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }

  private requireEntry(name: string): TensorEntry {
    const entry = this.header.entries.get(name);
    if (!entry) throw new UserInputError(this.path, `no tensor named "${name}"`);
    return entry;
  }

  private requireFd(): number {
    if (this.fd === undefined) throw new Error(`${this.path}: safetensors file already closed`);
    return this.fd;
  }
}

function readExactly(fd: number, position: number, length: number): Uint8Array {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, out, done, length - done, position + done);
    if (n === 0) break;
    done += n;
  }
  if (done !== length) throw new Error(`short read: ${done} of ${length} bytes at ${position}`);
  return out;
}
