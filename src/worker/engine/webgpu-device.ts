/**
 * The webgpu backend built on our own device request, instead of the factory that
 * tfjs-backend-webgpu registers on import.
 *
 * Limits: a device gets WebGPU's defaults (maxBufferSize 256 MiB, maxStorageBufferBindingSize
 * 128 MiB) unless it asks for more, and Qwen2.5-0.5B's embedding alone (151,936 × 896 fp32) is
 * 545 MB. tfjs-webgpu 4.22's factory (src/base.ts) does ask for the adapter's maxima of these two
 * and of four workgroup limits; we ask for the same list, and tests/engine/webgpu-device.test.ts
 * pins that the device's limits equal the adapter's, so neither a tfjs upgrade nor this file can
 * drop them unnoticed.
 *
 * Why our own: the backend it returns watches the device (./webgpu-watch.ts), so a lost device or
 * a validation / out-of-memory error ends the run with a message instead of zeros or a hang.
 */
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { DeviceWatch } from './webgpu-watch.ts';

/** The adapter limits the device is requested with, at the adapter's maximum (tfjs's list). */
export const REQUESTED_LIMITS = [
  'maxBufferSize',
  'maxStorageBufferBindingSize',
  'maxComputeWorkgroupStorageSize',
  'maxComputeWorkgroupsPerDimension',
  'maxComputeWorkgroupSizeX',
  'maxComputeInvocationsPerWorkgroup',
] as const;

export interface WatchedWebGpuBackend extends WebGPUBackend {
  readonly watch: DeviceWatch;
}

/**
 * tfjs-webgpu's backend class with every read guarded by the device's watch. The package is
 * imported only here, once Dawn has set up navigator.gpu (dawn.ts).
 */
async function watchedBackendClass() {
  const { WebGPUBackend } = await import('@tensorflow/tfjs-backend-webgpu');
  return class extends WebGPUBackend implements WatchedWebGpuBackend {
    readonly watch: DeviceWatch;

    constructor(device: GPUDevice, info?: GPUAdapterInfo) {
      super(device, info);
      this.watch = new DeviceWatch(device);
    }

    override read(dataId: object): Promise<tf.backend_util.BackendValues> {
      return this.watch.guard(super.read(dataId));
    }
  };
}

/** Requests the device with the adapter's maxima and the features tfjs uses when present. */
export async function requestDevice(adapter: GPUAdapter): Promise<GPUDevice> {
  const requiredLimits: Record<string, number> = {};
  for (const name of REQUESTED_LIMITS) requiredLimits[name] = adapter.limits[name];
  const requiredFeatures = (['timestamp-query'] as const).filter((f) => adapter.features.has(f));
  return adapter.requestDevice({ requiredLimits, requiredFeatures });
}

let registration: Promise<void> | null = null;

/**
 * Replaces the factory tfjs-backend-webgpu registered on import with ours. Once per process; call
 * before the backend is first activated (removing a backend disposes its instance).
 */
export function registerWatchedWebGpuBackend(): Promise<void> {
  registration ??= register();
  return registration;
}

async function register(): Promise<void> {
  const Backend = await watchedBackendClass();
  if (tf.findBackendFactory('webgpu') !== null) tf.removeBackend('webgpu');
  tf.registerBackend(
    'webgpu',
    async () => {
      const gpu = (navigator as Navigator & { gpu: GPU }).gpu;
      const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
      if (adapter === null) throw new Error('the WebGPU adapter disappeared after Dawn started');
      return new Backend(await requestDevice(adapter), adapter.info);
    },
    3, // tfjs-webgpu's own priority
  );
}
