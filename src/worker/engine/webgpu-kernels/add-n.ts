/**
 * AddN for the webgpu backend within the device's per-stage storage-buffer limit. tfjs-webgpu
 * 4.22 binds every input of AddN in one shader; the gradient of a tensor used many times (a
 * GradDiff step at cpu-small sums 53) exceeds the limit (8 on SwiftShader, WebGPU's default) and
 * the pipeline fails validation. This sums the inputs in groups of (limit − 1) — one binding is
 * the output — and then the group sums, the same additions in a tree.
 */
import { AddN, getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import type { KernelConfig, KernelFunc, TensorInfo } from '@tensorflow/tfjs-core';

interface WebGpuBackend {
  device: { limits: { maxStorageBuffersPerShaderStage: number } };
  disposeData(dataId: object): boolean;
}

/** Sums `inputs` with at most `perCall` inputs per stock AddN call. */
export function addNInGroups(
  inputs: readonly TensorInfo[],
  perCall: number,
  add: (group: TensorInfo[]) => TensorInfo,
  dispose: (t: TensorInfo) => void,
): TensorInfo {
  if (perCall < 2) throw new Error(`AddN: ${perCall} inputs per call cannot make progress`);
  let current = [...inputs];
  const made: TensorInfo[] = [];
  try {
    while (current.length > perCall) {
      const next: TensorInfo[] = [];
      for (let i = 0; i < current.length; i += perCall) {
        const group = current.slice(i, i + perCall);
        if (group.length === 1) next.push(group[0]!);
        else {
          const sum = add(group);
          made.push(sum);
          next.push(sum);
        }
      }
      current = next;
    }
    return add(current);
  } finally {
    for (const t of made) dispose(t);
  }
}

let wrapped: KernelFunc | null = null;

/** Idempotent; call once the webgpu backend is registered. */
export function registerWebGpuKernels(): void {
  const stock = getKernel(AddN, 'webgpu');
  if (!stock || stock.kernelFunc === wrapped) return;
  const stockFunc = stock.kernelFunc;
  wrapped = (args) => {
    const inputs = args.inputs as unknown as TensorInfo[];
    const backend = args.backend as unknown as WebGpuBackend;
    const perCall = backend.device.limits.maxStorageBuffersPerShaderStage - 1;
    if (inputs.length <= perCall) return stockFunc(args);
    return addNInGroups(
      inputs,
      perCall,
      (group) =>
        stockFunc({ ...args, inputs: group as unknown as typeof args.inputs }) as TensorInfo,
      (t) => void backend.disposeData(t.dataId),
    );
  };
  const config: KernelConfig = { ...stock, kernelFunc: wrapped };
  unregisterKernel(AddN, 'webgpu');
  registerKernel(config);
}
