/** Kernels replaced on tfjs's cpu (reference) backend, where the stock one is unusably slow. */
import { getKernel, registerKernel, unregisterKernel } from '@tensorflow/tfjs-core';
import { cpuUnsortedSegmentSumConfig } from './unsorted-segment-sum.ts';

const REPLACEMENTS = [cpuUnsortedSegmentSumConfig];

/** Idempotent; selectBackend calls it before the cpu backend's first op. */
export function registerCpuKernels(): void {
  for (const config of REPLACEMENTS) {
    const existing = getKernel(config.kernelName, 'cpu');
    if (existing?.kernelFunc === config.kernelFunc) continue;
    if (existing !== undefined) unregisterKernel(config.kernelName, 'cpu');
    registerKernel(config);
  }
}
