import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { defineConfig } from 'electron-vite';

const root = fileURLToPath(new URL('.', import.meta.url));

// Four bundles: Electron main, the preload bridge, the Svelte renderer, and the worker. The
// worker is a plain Node entry (not an Electron process: Dawn's external ArrayBuffers are not
// allowed inside Electron's V8 memory cage, DESIGN.md §2); it is built beside main.
export default defineConfig({
  main: {
    build: {
      rollupOptions: {
        input: {
          index: resolve(root, 'src/main/index.ts'),
          worker: resolve(root, 'src/worker/index.ts'),
        },
        external: [/^@tensorflow\//, 'webgpu', /^pdfjs-dist/, 'mammoth'],
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
