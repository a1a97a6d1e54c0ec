/**
 * Chooses and starts the tfjs backend (DESIGN.md §3), and says why it chose it.
 *
 *   webgpu      Dawn on a Vulkan/Metal/D3D12 GPU; on SwiftShader when asked (NEPENTHE_SWIFTSHADER=1)
 *   tensorflow  @tensorflow/tfjs-node-gpu or -node (optional dependencies; libtensorflow)
 *   native      tensors in the machine's RAM (tfjs-cpu storage), hot kernels on the native
 *               addon (./native): the CPU choice when the addon and a BLAS load
 *   wasm        XNNPACK on the CPU, plus the kernels it lacks (./wasm-kernels); its 32-bit heap
 *               caps tensors at 4 GB
 *   cpu         the plain-JS reference
 *
 * `auto` takes the first that works in that order, except that webgpu counts only on a hardware
 * adapter (on SwiftShader it is slower than wasm), and that a run whose tensors fit well inside
 * wasm's heap (`SelectOptions.wasmTensorBytes` ≤ WASM_PREFERRED_BYTES) takes wasm with the native
 * kernels before the native backend: at small shapes the ops the addon does not cover cost more
 * in tfjs-cpu's JavaScript than in XNNPACK (bench/RESULTS.md "auto at small shapes").
 */
import { createRequire } from 'node:module';
import { availableParallelism } from 'node:os';
import { dirname } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { setWasmPaths } from '@tensorflow/tfjs-backend-wasm';
import type { BackendName } from '../../shared/contracts.ts';
import { UserInputError } from '../../shared/errors.ts';
import { setUpDawn, type GpuAdapterDescription } from './dawn.ts';
import { registerCpuKernels } from './cpu-kernels/index.ts';
import { loadNativeAddon } from './native/addon.ts';
import { registerNativeBackend } from './native/backend.ts';
import { registerWebGpuKernels } from './webgpu-kernels/add-n.ts';
import { registerWatchedWebGpuBackend } from './webgpu-device.ts';
import { registerWasmKernels, useNativeKernels } from './wasm-kernels/index.ts';
import { setWasmBackendThreaded } from './wasm-kernels/threads.ts';

export type { BackendName };
export type ConcreteBackend = Exclude<BackendName, 'auto'>;

export interface SelectedBackend {
  readonly name: ConcreteBackend;
  /** One line for the user: why this backend (and, for auto, why not the faster ones). */
  readonly reason: string;
  /** The GPU, for webgpu. */
  readonly adapter?: GpuAdapterDescription;
}

export interface SelectOptions {
  /** Run webgpu on SwiftShader (CPU Vulkan); default: NEPENTHE_SWIFTSHADER=1. */
  readonly swiftshader?: boolean;
  /**
   * The job's estimated tensor memory on wasm's coefficients (tasks/preflight.ts); unknown
   * (undefined) keeps auto's plain order.
   */
  readonly wasmTensorBytes?: number;
}

/**
 * The most estimated tensor memory for which auto prefers wasm: half its 4 GiB heap, leaving room
 * for the estimate's error and the allocator's fragmentation.
 */
export const WASM_PREFERRED_BYTES = 2 * 2 ** 30;

type AutoOrder = readonly ConcreteBackend[];
const AUTO_ORDER: AutoOrder = ['webgpu', 'tensorflow', 'native', 'wasm', 'cpu'];
const AUTO_ORDER_SMALL: AutoOrder = ['webgpu', 'tensorflow', 'wasm', 'native', 'cpu'];

/** auto's order of trial for a job of this size. */
export function autoOrder(wasmTensorBytes: number | undefined): AutoOrder {
  return wasmTensorBytes !== undefined && wasmTensorBytes <= WASM_PREFERRED_BYTES
    ? AUTO_ORDER_SMALL
    : AUTO_ORDER;
}

/** The packages that provide the `tensorflow` backend, GPU build first. */
const TFJS_NODE_PACKAGES = ['@tensorflow/tfjs-node-gpu', '@tensorflow/tfjs-node'] as const;

/** A backend that cannot start here, and why (for auto's reason, or the user's error). */
class Unavailable extends Error {}

export async function selectBackend(
  name: BackendName,
  options: SelectOptions = {},
): Promise<SelectedBackend> {
  // Production mode: no debug checks, and none of tfjs's console banners on the user's stderr
  // ("install our node backend"), which the CLI reserves for progress and errors.
  tf.env().set('PROD', true);
  const swiftshader = options.swiftshader ?? process.env.NEPENTHE_SWIFTSHADER === '1';
  if (name === 'auto') return selectAuto(swiftshader, options.wasmTensorBytes);
  try {
    const started = await start(name, swiftshader);
    return { ...started, reason: `requested${started.detail ? `; ${started.detail}` : ''}` };
  } catch (error) {
    if (error instanceof Unavailable) {
      throw new UserInputError(undefined, `backend "${name}" is not available: ${error.message}`);
    }
    throw error;
  }
}

async function selectAuto(
  swiftshader: boolean,
  wasmTensorBytes: number | undefined,
): Promise<SelectedBackend> {
  const skipped: string[] = [];
  const order = autoOrder(wasmTensorBytes);
  for (const name of order) {
    try {
      if (name === 'webgpu') await hardwareAdapter(swiftshader);
      const started = await start(name, swiftshader);
      const small =
        name === 'wasm' && order === AUTO_ORDER_SMALL
          ? `; the run's tensors (about ${(wasmTensorBytes! / 2 ** 30).toFixed(2)} GiB) fit its heap, where it is faster than native at small shapes`
          : '';
      const why = started.detail ? `${name}: ${started.detail}${small}` : `${name}${small}`;
      const reason = skipped.length === 0 ? `auto: ${why}` : `auto: ${why} (${skipped.join('; ')})`;
      return { name, reason, ...(started.adapter ? { adapter: started.adapter } : {}) };
    } catch (error) {
      if (!(error instanceof Unavailable || error instanceof UserInputError)) throw error;
      skipped.push(`${name} skipped: ${error.message}`);
    }
  }
  throw new Error(`no tfjs backend could start (${skipped.join('; ')})`);
}

/** Throws Unavailable unless Dawn finds a GPU that is not a CPU implementation. */
async function hardwareAdapter(swiftshader: boolean): Promise<void> {
  const { adapter, missing } = await setUpDawn({ swiftshader });
  if (adapter === null) throw new Unavailable(missing ?? 'no adapter');
  if (adapter.software) {
    throw new Unavailable(`only a software adapter (${adapterName(adapter)}), slower than wasm`);
  }
}

interface Started {
  readonly name: ConcreteBackend;
  readonly detail?: string;
  readonly adapter?: GpuAdapterDescription;
}

async function start(name: ConcreteBackend, swiftshader: boolean): Promise<Started> {
  switch (name) {
    case 'webgpu':
      return startWebGpu(swiftshader);
    case 'tensorflow':
      return startTensorflow();
    case 'native':
      return startNative();
    case 'wasm':
      return startWasm();
    case 'cpu':
      registerCpuKernels();
      await activate('cpu');
      return { name, detail: 'the slow reference backend' };
  }
}

async function startWebGpu(swiftshader: boolean): Promise<Started> {
  const { adapter, missing } = await setUpDawn({ swiftshader });
  if (adapter === null) {
    const hint = swiftshader
      ? ''
      : '; on a machine without a GPU set NEPENTHE_SWIFTSHADER=1 (slow)';
    throw new Unavailable(`${missing ?? 'no adapter'}${hint}`);
  }
  // Registers the backend only now that navigator.gpu exists (see dawn.ts).
  await import('@tensorflow/tfjs-backend-webgpu');
  await registerWatchedWebGpuBackend(); // our device request and its error watch (webgpu-device.ts)
  registerWebGpuKernels();
  await activate('webgpu');
  const kind = adapter.software ? 'software adapter' : 'GPU';
  return { name: 'webgpu', detail: `${kind} ${adapterName(adapter)}`, adapter };
}

async function startTensorflow(): Promise<Started> {
  const failures: string[] = [];
  for (const pkg of TFJS_NODE_PACKAGES) {
    try {
      // A variable specifier: these optional packages may be absent, and have no types here.
      const specifier: string = pkg;
      await import(specifier);
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      failures.push(
        code === 'ERR_MODULE_NOT_FOUND'
          ? `${pkg} is not installed`
          : `${pkg} failed to load (${firstLine(error)})`,
      );
      continue;
    }
    if (tf.findBackendFactory('tensorflow') === null) {
      failures.push(
        `${pkg} registered with another copy of @tensorflow/tfjs-core; reinstall so they match`,
      );
      continue;
    }
    await activate('tensorflow');
    return { name: 'tensorflow', detail: `libtensorflow via ${pkg}` };
  }
  throw new Unavailable(
    `${failures.join(', ')} (optional dependencies: npm install ${TFJS_NODE_PACKAGES[1]})`,
  );
}

async function startNative(): Promise<Started> {
  const native = loadNativeAddon(cpuThreads());
  if (!native.ok) throw new Unavailable(native.reason);
  registerNativeBackend(native.addon);
  await activate('native');
  return { name: 'native', detail: `tensors in RAM, products on ${native.detail}` };
}

async function startWasm(): Promise<Started> {
  // In Node the .wasm binaries are read from the package's dist folder as files; naming it
  // explicitly keeps that working when this module is bundled away from node_modules.
  const require = createRequire(import.meta.url);
  const dist = dirname(require.resolve('@tensorflow/tfjs-backend-wasm'));
  setWasmPaths(`${dist}/`);
  registerWasmKernels();
  const native = loadNativeAddon(cpuThreads());
  useNativeKernels(native.ok ? native.addon : null);
  const blas = native.ok ? `; products on ${native.detail}` : `; ${native.reason}`;
  const threads = wasmThreads();
  if (threads > 1 && !('wasm' in tf.engine().registry)) {
    const inUse = await setWasmBackendThreaded(threads);
    await tf.ready();
    return { name: 'wasm', detail: `XNNPACK on the CPU, ${inUse} threads${blas}` };
  }
  await activate('wasm');
  return { name: 'wasm', detail: `XNNPACK on the CPU, 1 thread${blas}` };
}

/** BLAS and native-pool threads for the native kernels: NEPENTHE_CPU_THREADS, default every core. */
const cpuThreads = (): number => threadsFromEnv('NEPENTHE_CPU_THREADS', availableParallelism());

/**
 * XNNPACK threads for wasm: NEPENTHE_WASM_THREADS, default 1. More threads help only when the
 * cores are this process's own (bench/RESULTS.md: on a shared machine the pool's small parallel
 * regions wait for descheduled threads and run slower than one thread).
 */
const wasmThreads = (): number => threadsFromEnv('NEPENTHE_WASM_THREADS', 1);

/** A positive integer from the environment variable `name`, or `fallback` when it is unset. */
function threadsFromEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) {
    throw new UserInputError(undefined, `${name} must be a positive integer, got "${raw}"`);
  }
  return n;
}

/** tf.setBackend, turning its `false` (the factory failed; tfjs logs why) into an error. */
async function activate(name: ConcreteBackend): Promise<void> {
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
  } catch (error) {
    throw new Unavailable(`it failed to start (${firstLine(error)})`);
  }
  if (!ok) throw new Unavailable('it failed to start');
  await tf.ready();
}

function adapterName(adapter: GpuAdapterDescription): string {
  const parts = [adapter.vendor, adapter.architecture, adapter.description].filter(
    (p) => p.length > 0,
  );
  return parts.length > 0 ? parts.join(' ') : 'unnamed adapter';
}

function firstLine(error: unknown): string {
  return String(error instanceof Error ? error.message : error).split('\n')[0]!;
}
