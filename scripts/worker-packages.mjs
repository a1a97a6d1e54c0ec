#!/usr/bin/env node
/**
 * The packages the worker loads from node_modules under the bundled plain Node, which cannot
 * read inside app.asar: its bundle's external imports (out/worker, electron.vite.config.ts) and
 * everything they depend on, as installed. electron-builder.yml's asarUnpack must list exactly
 * these (docs/packaging.md): everything else — main's own packages, signing among them — stays
 * in the archive under Electron's integrity check.
 *
 *   node scripts/worker-packages.mjs           prints the asarUnpack globs
 *   node scripts/worker-packages.mjs --check   exit 1 when electron-builder.yml misses one
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');

/** The worker bundle's bare imports (static and dynamic), optional backends included. */
export const WORKER_ROOTS = [
  '@huggingface/tokenizers',
  '@tensorflow/tfjs',
  '@tensorflow/tfjs-backend-cpu',
  '@tensorflow/tfjs-backend-wasm',
  '@tensorflow/tfjs-backend-webgpu',
  '@tensorflow/tfjs-core',
  '@tensorflow/tfjs-node',
  '@tensorflow/tfjs-node-gpu',
  'csv-parse',
  'mammoth',
  'node-html-parser',
  'pako',
  'pdfjs-dist',
  'webgpu',
  'zod',
];

/** The installed closure of WORKER_ROOTS under `<dir>/node_modules` (hoisted layout), sorted. */
export function workerPackages(dir = root) {
  const seen = new Set();
  const visit = (name) => {
    if (seen.has(name)) return;
    const manifest = join(dir, 'node_modules', name, 'package.json');
    if (!existsSync(manifest)) return; // an optional package not installed
    seen.add(name);
    const pkg = JSON.parse(readFileSync(manifest, 'utf8'));
    for (const dep of Object.keys({ ...pkg.dependencies, ...pkg.optionalDependencies })) visit(dep);
  };
  for (const name of WORKER_ROOTS) visit(name);
  return [...seen].sort();
}

export const unpackGlob = (name) => `**/node_modules/${name}/**`;

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const globs = workerPackages().map(unpackGlob);
  if (process.argv.includes('--check')) {
    const yml = readFileSync(join(root, 'electron-builder.yml'), 'utf8');
    const missing = globs.filter((glob) => !yml.includes(`'${glob}'`));
    if (missing.length > 0) {
      console.error(
        `electron-builder.yml: asarUnpack misses ${missing.length} package(s) the worker loads: ` +
          `${missing.join(', ')} (add them; see docs/packaging.md)`,
      );
      process.exit(1);
    }
  } else for (const glob of globs) console.log(`  - '${glob}'`);
}
