import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'electron-vite';
import { build as viteBuild, type Plugin } from 'vite';

const root = fileURLToPath(new URL('.', import.meta.url));

// The packages the engine loads from node_modules rather than from its bundle: tfjs (its wasm
// binaries and optional native backends are files beside its code), Dawn's native addon, and
// the two document readers that load their own files (pdf.js's worker, mammoth's templates).
const WORKER_EXTERNAL = [/^@tensorflow\//, 'webgpu', /^pdfjs-dist/, 'mammoth'];

/**
 * The worker is a plain Node entry (not an Electron process: Dawn's external ArrayBuffers are not
 * allowed inside Electron's V8 memory cage, DESIGN.md §2), and the packaged app keeps it outside
 * app.asar, where a plain Node can read it. It is therefore built on its own into out/worker —
 * sharing no chunk with main — so that out/main (signing, ledger, IPC) stays inside the archive,
 * under Electron's asar integrity check (docs/packaging.md). Built after main, by this plugin.
 */
function workerBundle(): Plugin {
  return {
    name: 'nepenthe-worker-bundle',
    apply: 'build',
    async closeBundle() {
      await viteBuild({
        configFile: false,
        logLevel: 'warn',
        build: {
          ssr: resolve(root, 'src/worker/index.ts'),
          outDir: resolve(root, 'out/worker'),
          emptyOutDir: true,
          target: 'node20',
          minify: false,
          rollupOptions: {
            external: WORKER_EXTERNAL,
            output: {
              format: 'es',
              entryFileNames: 'worker.js',
              chunkFileNames: 'chunks/[name]-[hash].js',
            },
          },
        },
      });
    },
  };
}

// Four bundles: Electron main, the preload bridge, the Svelte renderer, and the worker (built
// beside main by workerBundle, into its own folder).
export default defineConfig({
  main: {
    plugins: [workerBundle()],
    build: {
      rollupOptions: {
        input: { index: resolve(root, 'src/main/index.ts') },
        external: WORKER_EXTERNAL,
      },
    },
  },
  // A sandboxed preload runs as one CommonJS script whose only `require` is electron's: no npm
  // modules, no ESM. So nothing is left external but electron (tests/build checks the output).
  preload: {
    build: {
      externalizeDeps: false,
      rollupOptions: {
        input: { index: resolve(root, 'src/preload/index.ts') },
        output: { format: 'cjs', entryFileNames: '[name].cjs', inlineDynamicImports: true },
      },
    },
  },
  renderer: {
    root: 'src/renderer',
    plugins: [svelte()],
    build: {
      // electron-vite leaves the renderer unminified by default; minified it loads 2–3× less
      // script (bench/RESULTS.md "App UI").
      minify: true,
      rollupOptions: { input: { index: resolve(root, 'src/renderer/index.html') } },
    },
  },
});
