// Bundles what bench/gpu-check.sh runs on a GPU machine into .gpu-carry/ (bench/gpu-prepare.sh
// calls it): the CLI, the real-shape checkpoint writer and the GPU test files, each one ESM file
// with its dependencies inside, so the device needs no node_modules but the `webgpu` package's
// linux-x64 binary (carried beside them). vitest is replaced by bench/gpu/vitest-shim.ts.
//
//   node bench/gpu/bundle.mjs
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));
const common = {
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node20',
  absWorkingDir: root,
  // dawn.node is loaded by the package's index.js from its own folder; the optional tfjs-node
  // packages are imported by a computed name and stay outside anyway.
  external: ['webgpu'],
  // CommonJS dependencies (pdfkit, …) call require(); ESM output needs one defined.
  banner: {
    js: "import { createRequire as __nepentheRequire } from 'node:module'; const require = __nepentheRequire(import.meta.url);",
  },
  logLevel: 'warning',
  legalComments: 'none',
  // Smaller to carry; names kept (error classes and kernels are found by name).
  minify: true,
  keepNames: true,
};
await build({ ...common, entryPoints: ['bench/gpu/cli-entry.ts'], outfile: '.gpu-carry/cli.mjs' });
await build({
  ...common,
  entryPoints: ['scripts/make-real-shape.ts'],
  outfile: '.gpu-carry/make-real-shape.mjs',
});
await build({
  ...common,
  entryPoints: ['bench/gpu/golden-entry.ts'],
  outfile: '.gpu-carry/gpu-tests.mjs',
  alias: { vitest: './bench/gpu/vitest-shim.ts' },
  // The test files find their fixtures next to themselves; from the bundle, next to the
  // checkout's tests/golden (gpu-check.sh runs from the repository root).
  define: { 'import.meta.dirname': 'globalThis.__nepentheTestsGolden' },
  banner: {
    js: `${common.banner.js} globalThis.__nepentheTestsGolden = (await import('node:path')).join(process.cwd(), 'tests', 'golden');`,
  },
});
