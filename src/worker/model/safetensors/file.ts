/**
 * One safetensors file opened for reading. Tensors are read one at a time with positioned reads,
 * so a multi-gigabyte checkpoint is never held in memory twice (raw bytes of one tensor plus its
 * float32 copy at most).
 */
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { UserInputError } from '../../../shared/errors.ts';
import { decodeFloatsChecked, isFloatDtype, type NonFinite } from './dtype.ts';
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
      const stat = fstatSync(fd);
      if (!stat.isFile())
        throw new UserInputError(
          path,
          `is ${stat.isDirectory() ? 'a folder' : 'not a regular file'}, not a safetensors file; put the model's weights file there`,
        );
      const size = stat.size;
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

  /**
   * One float tensor widened to float32. A NaN or ±Inf element is a `UserInputError` naming the
   * tensor: nothing computed from such weights means anything (every log-probability is NaN).
   */
  readFloat32(name: string): Float32Array {
    const entry = this.requireEntry(name);
    if (!isFloatDtype(entry.dtype)) {
      throw new UserInputError(
        this.path,
        `tensor "${name}" has dtype ${entry.dtype}; Nepenthe reads F32, F16 and BF16 weights only`,
      );
    }
    const { values, nonFinite } = decodeFloatsChecked(this.readBytes(name), entry.dtype);
    if (nonFinite.count > 0) throw nonFiniteError(this.path, name, nonFinite);
    return values;
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

/** The one-line error for a tensor holding NaN or ±Inf (shared with `inspect`'s scan). */
export function nonFiniteError(path: string, tensor: string, found: NonFinite): UserInputError {
  const many =
    found.count === 1 ? 'a NaN or infinite value' : `${found.count} NaN or infinite values`;
  return new UserInputError(
    path,
    `tensor "${tensor}" holds ${many} (the first at element ${found.first}); the weights are corrupt or come from a diverged run: restore the file from the model's source`,
  );
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
