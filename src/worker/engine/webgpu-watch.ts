/**
 * What a WebGPU device reports on its own timeline — its loss, validation errors, out-of-memory —
 * turned into an error that ends the run. Without this, tfjs-webgpu 4.22 listens to none of it:
 * a buffer over `maxBufferSize` fails validation, every later command that touches it is dropped,
 * and the read returns zeros (a silent wrong loss); a lost device rejects the read with an empty
 * message, and a read pending when the device is lost could wait for ever.
 *
 * WebGPU spec §22 (errors and debugging): an error goes to the innermost open error scope of its
 * filter, else to `uncapturederror`; `device.lost` resolves once, with a reason. So one
 * 'validation' and one 'out-of-memory' scope stay open for the whole run; every read closes them
 * (popErrorScope), reopens them in the same synchronous turn (no error can fall between), and
 * throws what they caught. A read races `device.lost`, so it rejects when the device goes.
 */

/** A device error, with what happened and what to do. */
export class WebGpuDeviceError extends Error {
  override readonly name = 'WebGpuDeviceError';
}

/** The part of GPUDevice the watch uses (a fake one in unit tests). */
export interface WatchedDevice {
  readonly lost: Promise<GPUDeviceLostInfo>;
  readonly limits: { readonly maxBufferSize: number; readonly maxStorageBufferBindingSize: number };
  pushErrorScope(filter: GPUErrorFilter): void;
  popErrorScope(): Promise<GPUError | null>;
  onuncapturederror: ((event: GPUUncapturedErrorEvent) => void) | null;
}

const SMALLER =
  'use fewer tokens per step (batchSize, maxLength), the bounded method, or --backend native ' +
  '(tensors in RAM)';

const mib = (bytes: number) => `${Math.floor(bytes / 2 ** 20)} MiB`;
/** Dawn's messages: the error on line 1, then ' - While calling …' context lines. */
const firstLine = (message: string) => message.trim().split('\n')[0]!.replace(/\.$/, '');

export function lostMessage(info: { reason: string; message: string }): string {
  return (
    `the WebGPU device was lost (${info.reason}: ${firstLine(info.message) || 'no detail'}); ` +
    `the GPU driver reset or ran out of memory. Run again; if it recurs, ${SMALLER}`
  );
}

export function errorMessage(
  kind: 'validation' | 'out-of-memory',
  error: GPUError,
  limits: WatchedDevice['limits'],
): string {
  if (kind === 'out-of-memory') {
    // Starts with "out of memory" so the job's error event is classified as such (jobs/errors.ts).
    return `out of memory on the GPU (${firstLine(error.message)}); ${SMALLER}`;
  }
  return (
    `WebGPU validation error: ${firstLine(error.message)}. A tensor may exceed this GPU's ` +
    `limits (buffer ${mib(limits.maxBufferSize)}, binding ${mib(limits.maxStorageBufferBindingSize)}): ` +
    `${SMALLER}. If it happens at small sizes, it is a bug: please report it`
  );
}

export class DeviceWatch {
  private lostInfo: { reason: string; message: string } | null = null;
  private uncaptured: GPUError | null = null;
  /** Rejects with the loss's error once the device is lost; never resolves. */
  private readonly whenLost: Promise<never>;

  constructor(private readonly device: WatchedDevice) {
    this.whenLost = device.lost.then((info) => {
      this.lostInfo = { reason: info.reason, message: info.message };
      throw new WebGpuDeviceError(lostMessage(this.lostInfo));
    });
    this.whenLost.catch(() => undefined); // observed by reads; no unhandled rejection meanwhile
    // Errors outside our scopes (none are expected: the scopes are reopened synchronously).
    device.onuncapturederror = (event) => {
      this.uncaptured ??= event.error;
    };
    this.open();
  }

  private open(): void {
    this.device.pushErrorScope('out-of-memory');
    this.device.pushErrorScope('validation'); // innermost: popped first
  }

  /** Throws the first error the device reported since the last check. */
  async check(): Promise<void> {
    if (this.lostInfo) throw new WebGpuDeviceError(lostMessage(this.lostInfo));
    const validation = this.device.popErrorScope();
    const outOfMemory = this.device.popErrorScope();
    this.open();
    const [v, o] = await Promise.all([validation, outOfMemory]);
    if (this.lostInfo) throw new WebGpuDeviceError(lostMessage(this.lostInfo));
    const limits = this.device.limits;
    if (o) throw new WebGpuDeviceError(errorMessage('out-of-memory', o, limits));
    if (v) throw new WebGpuDeviceError(errorMessage('validation', v, limits));
    const other = this.uncaptured;
    if (other) {
      this.uncaptured = null;
      const kind =
        other.constructor.name === 'GPUOutOfMemoryError' ? 'out-of-memory' : 'validation';
      throw new WebGpuDeviceError(errorMessage(kind, other, limits));
    }
  }

  /**
   * `work` (a read from the device), or the device's loss, whichever comes first; then the
   * errors the device reported meanwhile, which explain a wrong or failed read.
   */
  async guard<T>(work: Promise<T>): Promise<T> {
    let value: T;
    try {
      value = await Promise.race([work, this.whenLost]);
    } catch (error) {
      await this.check(); // a device error says more than the failed read's own message
      throw error;
    }
    await this.check();
    return value;
  }
}
