/**
 * The `describe` job: which backend the engine selects here and what it runs on, for the app's
 * About panel and memory estimates. The description is the backend's own reason line, the same
 * words the audit manifest records as `hardware.backend`.
 */
import { execFile } from 'node:child_process';
import type { z } from 'zod';
import type { DescribeRequest, EngineDescription } from '../../shared/worker-protocol.ts';
import { selectBackend } from '../engine/backend.ts';

export async function describeEngine(
  request: z.infer<typeof DescribeRequest>,
): Promise<EngineDescription> {
  const selected = await selectBackend(request.backend);
  const onGpu =
    (selected.name === 'webgpu' && selected.adapter?.software !== true) ||
    selected.name === 'tensorflow';
  return {
    backend: selected.name,
    description: selected.reason,
    gpuMemoryBytes: onGpu ? await nvidiaMemoryBytes() : null,
  };
}

/**
 * WebGPU does not expose the adapter's memory; on NVIDIA the driver's own tool does (a local
 * process, no network). Null wherever it is missing or says nothing usable.
 */
function nvidiaMemoryBytes(): Promise<number | null> {
  return new Promise((resolve) => {
    execFile(
      'nvidia-smi',
      ['--query-gpu=memory.total', '--format=csv,noheader,nounits'],
      { timeout: 3000 },
      (error, stdout) => {
        const mib = Number(String(stdout).split('\n')[0]?.trim());
        resolve(error || !Number.isFinite(mib) || mib <= 0 ? null : mib * 2 ** 20);
      },
    );
  });
}
