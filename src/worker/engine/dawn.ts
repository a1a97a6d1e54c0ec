/**
 * WebGPU in Node through Dawn (the `webgpu` package's dawn.node), set up once per process.
 *
 * tfjs-backend-webgpu registers itself only if `navigator.gpu` exists when it is imported, so
 * Dawn's globals and `navigator.gpu` are installed here first and the backend is imported after.
 *
 * On Linux without a GPU, Dawn can run on SwiftShader, a Vulkan driver on the CPU: slow, but it
 * runs the real WGSL code path, so CI covers the GPU backend. Debian's `chromium` package ships it
 * (libvk_swiftshader.so with a vk_swiftshader_icd.json whose library_path is relative, which the
 * Vulkan loader resolves against the working directory, not the json's). We write a copy with an
 * absolute path and point VK_ICD_FILENAMES at it before Dawn starts the loader. Mesa's lavapipe
 * is not an option: Dawn rejects it.
 */
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { UserInputError } from '../../shared/errors.ts';

export interface GpuAdapterDescription {
  readonly vendor: string;
  readonly architecture: string;
  readonly device: string;
  readonly description: string;
  /** A CPU implementation (SwiftShader, llvmpipe, lavapipe, or a fallback adapter). */
  readonly software: boolean;
}

export interface DawnSetup {
  readonly swiftshader: boolean;
  readonly adapter: GpuAdapterDescription | null;
  /** Why there is no adapter, when there is none. */
  readonly missing?: string;
}

/** Where Debian, Fedora and Ubuntu's chromium packages put SwiftShader's ICD. */
const SWIFTSHADER_ICDS = [
  '/usr/lib/chromium/vk_swiftshader_icd.json',
  '/usr/lib64/chromium/vk_swiftshader_icd.json',
  '/usr/lib/chromium-browser/vk_swiftshader_icd.json',
];

/** glibc's RTLD_NODELETE; Node's os.constants.dlopen does not export it. */
const RTLD_NODELETE = 0x1000;

let current: { swiftshader: boolean; setup: Promise<DawnSetup> } | null = null;

/**
 * Starts Dawn (once per process) and finds its preferred adapter. The Vulkan driver list is read
 * when Dawn starts, so the first call decides whether this process uses SwiftShader.
 */
export function setUpDawn(options: { swiftshader: boolean }): Promise<DawnSetup> {
  if (current === null) {
    current = { swiftshader: options.swiftshader, setup: startDawn(options.swiftshader) };
  } else if (current.swiftshader !== options.swiftshader) {
    const was = current.swiftshader ? 'with' : 'without';
    return Promise.reject(
      new Error(`WebGPU was already started ${was} SwiftShader in this process; it cannot switch`),
    );
  }
  return current.setup;
}

async function startDawn(swiftshader: boolean): Promise<DawnSetup> {
  if (swiftshader) useSwiftShader();
  else if (process.platform === 'linux' && !loadVulkanLoader('libvulkan.so.1')) {
    // Without a loader Dawn finds no Vulkan adapter anyway, and would say so on stderr.
    return { swiftshader, adapter: null, missing: 'no Vulkan loader (install libvulkan1)' };
  }
  const { create, globals } = await import('webgpu');
  Object.assign(globalThis, globals);
  const gpu = create([]);
  const nav = (globalThis as { navigator?: object }).navigator;
  // Node 21+ has a read-only global navigator: define the property rather than assign it.
  if (nav === undefined) {
    Object.defineProperty(globalThis, 'navigator', {
      value: { gpu },
      configurable: true,
      writable: true,
    });
  } else {
    Object.defineProperty(nav, 'gpu', { value: gpu, configurable: true, writable: true });
  }
  const adapter = await gpu.requestAdapter({ powerPreference: 'high-performance' });
  if (adapter === null) {
    const missing = swiftshader
      ? 'SwiftShader offered no adapter'
      : 'no Vulkan/Metal/D3D12 adapter found';
    return { swiftshader, adapter: null, missing };
  }
  return { swiftshader, adapter: describeAdapter(adapter.info) };
}

function describeAdapter(info: GPUAdapterInfo): GpuAdapterDescription {
  const fields = info as unknown as Record<string, unknown>;
  const text = (key: string) => (typeof fields[key] === 'string' ? (fields[key] as string) : '');
  const description = {
    vendor: text('vendor'),
    architecture: text('architecture'),
    device: text('device'),
    description: text('description'),
  };
  const software =
    fields.isFallbackAdapter === true ||
    /swiftshader|llvmpipe|lavapipe|software/i.test(Object.values(description).join(' '));
  return { ...description, software };
}

/** Points the Vulkan loader at SwiftShader only, through a copy of its ICD with an absolute path. */
function useSwiftShader(): void {
  if (process.platform !== 'linux') {
    throw new UserInputError(
      undefined,
      'SwiftShader (NEPENTHE_SWIFTSHADER=1) is set up on Linux only',
    );
  }
  const override = process.env.NEPENTHE_SWIFTSHADER_ICD;
  const icd = override ?? SWIFTSHADER_ICDS.find((path) => existsSync(path));
  if (icd === undefined || !existsSync(icd)) {
    throw new UserInputError(
      icd,
      "SwiftShader's Vulkan driver was not found; install Debian's chromium package (it ships " +
        'libvk_swiftshader.so) or set NEPENTHE_SWIFTSHADER_ICD to a vk_swiftshader_icd.json',
    );
  }
  let manifest: { ICD?: { library_path?: unknown } };
  try {
    manifest = JSON.parse(readFileSync(icd, 'utf8')) as typeof manifest;
  } catch (error) {
    throw new UserInputError(icd, `unreadable Vulkan ICD manifest (${(error as Error).message})`);
  }
  const library = manifest.ICD?.library_path;
  if (typeof library !== 'string')
    throw new UserInputError(icd, 'Vulkan ICD manifest has no ICD.library_path');
  const absolute = isAbsolute(library) ? library : resolve(dirname(icd), library);
  if (!existsSync(absolute)) throw new UserInputError(icd, `its driver ${absolute} does not exist`);

  const folder = join(tmpdir(), `nepenthe-vulkan-${process.getuid?.() ?? 'user'}`);
  mkdirSync(folder, { recursive: true });
  const copy = join(folder, 'vk_swiftshader_icd.json');
  const partial = `${copy}.${process.pid}.partial`;
  writeFileSync(
    partial,
    JSON.stringify({ ...manifest, ICD: { ...manifest.ICD, library_path: absolute } }),
  );
  renameSync(partial, copy);
  // VK_DRIVER_FILES is the newer name (loader 1.3.207+); older loaders read VK_ICD_FILENAMES.
  process.env.VK_ICD_FILENAMES = copy;
  process.env.VK_DRIVER_FILES = copy;
  // Implicit layers (Mesa's device_select, overlays) have nothing to select among one software
  // driver, and Mesa's probes the display server, printing errors on a headless machine.
  process.env.VK_LOADER_LAYERS_DISABLE ??= '~implicit~';

  // No system loader (Debian's libvulkan1 is not installed)? chromium ships one beside SwiftShader.
  if (
    !loadVulkanLoader('libvulkan.so.1') &&
    !loadVulkanLoader(join(dirname(absolute), 'libvulkan.so.1'))
  ) {
    throw new UserInputError(undefined, 'no Vulkan loader for SwiftShader; install libvulkan1');
  }
}

/**
 * Loads a shared library into the process so that Dawn's later dlopen("libvulkan.so.1") finds it
 * by its soname. process.dlopen loads it, then refuses it as a Node addon and closes it;
 * RTLD_NODELETE keeps it mapped. Success is read from /proc/self/maps, not from the error.
 */
function loadVulkanLoader(nameOrPath: string): boolean {
  const flags = constants.dlopen.RTLD_NOW! | constants.dlopen.RTLD_GLOBAL! | RTLD_NODELETE;
  try {
    process.dlopen({ exports: {} } as NodeJS.Module, nameOrPath, flags);
  } catch {
    // Expected: libvulkan is not a Node addon.
  }
  try {
    return readFileSync('/proc/self/maps', 'utf8').includes('/libvulkan.so.1');
  } catch {
    return false;
  }
}
