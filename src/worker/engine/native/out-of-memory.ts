/**
 * An allocation the machine could not satisfy, raised by the native backend's allocator (and
 * recognised in tfjs-wasm's aborts) so that a run ends with "out of memory" and what to do,
 * never with `Aborted()` or `memory access out of bounds`.
 */
export class OutOfMemoryError extends Error {
  constructor(readonly bytes: number) {
    super(
      `out of memory: could not allocate ${(bytes / 2 ** 20).toFixed(0)} MiB for a tensor; ` +
        'use fewer tokens per step (batchSize, maxLength), the bounded method, or a machine with more memory',
    );
    this.name = 'OutOfMemoryError';
  }
}
