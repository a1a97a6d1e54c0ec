/**
 * The wasm backend on its threaded SIMD binary, under Node.
 *
 * tfjs-backend-wasm 4.22 never picks that binary in Node: its WASM_HAS_MULTITHREAD_SUPPORT flag is
 * false whenever IS_NODE (flags_wasm.ts, tfjs issue #3830), because emscripten starts its pthread
 * workers from blob: URLs, which worker_threads rejects, and the worker then loads the main script
 * from another blob. Three shims, each in place only while the backend initializes, make it work:
 *  - the worker script is written to a temporary .cjs file (patched to load the main script
 *    from its path) and URL.createObjectURL returns that path for the worker blob;
 *  - os.cpus() reports at least 2·threads CPUs: the C++ side caps the pool at
 *    emscripten_num_logical_cores() / 2 (it assumes hyper-threading; src/cc/backend.cc), read
 *    once when the module starts;
 *  - worker_threads.Worker starts the workers with no execArgv: they would inherit the parent's
 *    (--input-type, --import hooks), which the plain-JS worker does not want;
 *  - the multithread flag is set, and setThreadsCount(threads) chosen.
 * Only XNNPACK operators (BatchMatMul's fully-connected path, convolutions) use the pool; the
 * measured gain on matrix products is in bench/RESULTS.md.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import { dirname, join } from 'node:path';
import workerThreads from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs-core';
import { getThreadsCount, setThreadsCount } from '@tensorflow/tfjs-backend-wasm';

const require = createRequire(import.meta.url);

/** The emscripten pthread worker, made loadable by worker_threads from a file. */
function writeWorkerScript(): { path: string; remove: () => void } {
  const wasmOut = join(dirname(require.resolve('@tensorflow/tfjs-backend-wasm')), '..', 'wasm-out');
  const mainScript = join(wasmOut, 'tfjs-backend-wasm-threaded-simd.js');
  const { wasmWorkerContents } = require(
    join(wasmOut, 'tfjs-backend-wasm-threaded-simd.worker.js'),
  ) as {
    wasmWorkerContents: string;
  };
  const loadFromBlob =
    'var objectUrl=URL.createObjectURL(e.data.urlOrBlob);importScripts(objectUrl);URL.revokeObjectURL(objectUrl)';
  if (!wasmWorkerContents.includes(loadFromBlob)) {
    throw new Error(
      'threaded wasm: the worker script of this tfjs-backend-wasm version is not the 4.22 one',
    );
  }
  // The backend escapes newlines the same way before it makes its blob (backend_wasm.ts).
  const source = wasmWorkerContents.replace(
    loadFromBlob,
    `importScripts(${JSON.stringify(mainScript)})`,
  );
  const dir = mkdtempSync(join(os.tmpdir(), 'nepenthe-wasm-'));
  const path = join(dir, 'tfjs-backend-wasm-threaded-simd.worker.cjs');
  writeFileSync(path, source.replace(/\n/g, '\\n'));
  return { path, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

/**
 * Lets the process exit while pool threads wait for work: emscripten's Node workers otherwise
 * hold the event loop open forever.
 */
function unrefWorkers(): void {
  const pthread = (
    tf.backend() as unknown as { wasm: { PThread?: Record<string, { unref?: () => void }[]> } }
  ).wasm.PThread;
  for (const worker of [...(pthread?.unusedWorkers ?? []), ...(pthread?.runningWorkers ?? [])])
    worker.unref?.();
}

/**
 * Initializes the 'wasm' backend on the threaded SIMD binary with `threads` XNNPACK threads and
 * makes it current; returns the thread count in use. Call it instead of tf.setBackend('wasm'),
 * before anything else initializes the wasm backend. If the threaded binary fails to start,
 * falls back to the single-threaded one and returns 1.
 */
export async function setWasmBackendThreaded(threads: number): Promise<number> {
  if (!Number.isInteger(threads) || threads < 1)
    throw new Error(`threads must be a positive integer, got ${threads}`);
  if ('wasm' in tf.engine().registry) {
    throw new Error(
      'setWasmBackendThreaded: the wasm backend is already initialized; call this first',
    );
  }
  const worker = writeWorkerScript();
  // The workers may be (re)started later from this file: remove it only when the process ends.
  process.once('exit', worker.remove);
  const realCpus = os.cpus;
  const realCreateObjectURL = URL.createObjectURL;
  os.cpus = () => {
    const list = realCpus();
    while (list.length < 2 * threads) list.push(...realCpus());
    return list;
  };
  URL.createObjectURL = (obj: Blob | MediaSource): string =>
    obj instanceof Blob && obj.type === 'application/javascript'
      ? worker.path
      : realCreateObjectURL(obj);
  // emscripten reads require('worker_threads').Worker when the module starts.
  const RealWorker = workerThreads.Worker;
  workerThreads.Worker = class extends RealWorker {
    constructor(filename: string | URL, options?: workerThreads.WorkerOptions) {
      super(filename, { ...options, execArgv: [] });
    }
  };
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  setThreadsCount(threads);
  let ok = false;
  try {
    ok = await tf.setBackend('wasm');
  } finally {
    os.cpus = realCpus;
    URL.createObjectURL = realCreateObjectURL;
    workerThreads.Worker = RealWorker;
  }
  if (ok) {
    unrefWorkers();
    return getThreadsCount();
  }
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  setThreadsCount(1);
  if (!(await tf.setBackend('wasm'))) throw new Error('the wasm backend failed to initialize');
  return 1;
}
