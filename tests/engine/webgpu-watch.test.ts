/**
 * The device watch (src/worker/engine/webgpu-watch.ts) on a fake device: the error scopes it keeps
 * open, and the out-of-memory case SwiftShader cannot provoke (host memory backs its buffers).
 * The real validation error and device loss are in webgpu-device.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { DeviceWatch, type WatchedDevice } from '../../src/worker/engine/webgpu-watch.ts';
import { errorEvent } from '../../src/worker/jobs/errors.ts';

class GPUOutOfMemoryError extends Error {}
class GPUValidationError extends Error {}

/** A device whose scopes record the errors `raise` reports, as WebGPU routes them by filter. */
function fakeDevice() {
  let lose!: (info: GPUDeviceLostInfo) => void;
  const scopes: { filter: GPUErrorFilter; error: GPUError | null }[] = [];
  const device: WatchedDevice & { raise(e: GPUError): void; lose: typeof lose; depth(): number } = {
    lost: new Promise((resolve) => (lose = resolve)),
    limits: { maxBufferSize: 2 ** 30, maxStorageBufferBindingSize: 2 ** 29 },
    onuncapturederror: null,
    pushErrorScope: (filter) => void scopes.push({ filter, error: null }),
    popErrorScope: () => {
      const scope = scopes.pop();
      return scope ? Promise.resolve(scope.error) : Promise.reject(new Error('no scope'));
    },
    raise(error) {
      const filter = error instanceof GPUOutOfMemoryError ? 'out-of-memory' : 'validation';
      const scope = scopes.findLast((s) => s.filter === filter);
      if (scope) scope.error ??= error;
      else device.onuncapturederror?.({ error } as GPUUncapturedErrorEvent);
    },
    lose: (info) => lose(info),
    depth: () => scopes.length,
  };
  return device;
}

describe('DeviceWatch', () => {
  it('passes a read through when the device reported nothing, and keeps its scopes open', async () => {
    const device = fakeDevice();
    const watch = new DeviceWatch(device);
    await expect(watch.guard(Promise.resolve(7))).resolves.toBe(7);
    expect(device.depth()).toBe(2);
  });

  it('turns an out-of-memory error into an "out of memory" job error with advice', async () => {
    const device = fakeDevice();
    const watch = new DeviceWatch(device);
    device.raise(new GPUOutOfMemoryError('Allocation failed\n - While calling CreateBuffer'));
    const error = await watch.guard(Promise.resolve(0)).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(
      /^out of memory on the GPU \(Allocation failed\); use fewer tokens per step .*--backend native/,
    );
    expect(errorEvent('job', error).code).toBe('out-of-memory');
    // Reported once: the scopes were reopened empty.
    await expect(watch.guard(Promise.resolve(1))).resolves.toBe(1);
  });

  it('reports a validation error raised outside its scopes (uncapturederror)', async () => {
    const device = fakeDevice();
    const watch = new DeviceWatch(device);
    await device.popErrorScope();
    await device.popErrorScope(); // someone else closed the watch's scopes
    device.raise(new GPUValidationError('Binding size too large'));
    device.pushErrorScope('out-of-memory');
    device.pushErrorScope('validation');
    await expect(watch.guard(Promise.resolve(0))).rejects.toThrow(
      /^WebGPU validation error: Binding size too large\. .*buffer 1024 MiB, binding 512 MiB/,
    );
  });

  it('rejects a read that never settles once the device is lost', async () => {
    const device = fakeDevice();
    const watch = new DeviceWatch(device);
    const read = watch.guard(new Promise<number>(() => undefined));
    device.lose({ reason: 'unknown', message: 'VK_ERROR_DEVICE_LOST' } as GPUDeviceLostInfo);
    await expect(read).rejects.toThrow(
      /^the WebGPU device was lost \(unknown: VK_ERROR_DEVICE_LOST\); .*--backend native/,
    );
    await expect(watch.guard(Promise.resolve(1))).rejects.toThrow(/device was lost/);
  });
});
