#!/usr/bin/env node
/**
 * Builds the native CPU kernels (native/*.c) into build/native/nepenthe_native.node with the
 * system C compiler and the Node-API headers from the node-api-headers package. No node-gyp, no
 * download: Node-API is ABI-stable, so one build serves Node and Electron of any version.
 *
 *   node scripts/build-native.mjs [--quiet]
 *
 * BLAS is opened at run time (native/blas.c), so building needs only a C compiler: on Debian
 * `apt-get install gcc`; at run time `apt-get install libopenblas0-pthread`.
 * Exit 0 with the output path, or 1 with what is missing.
 */
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, renameSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const quiet = process.argv.includes('--quiet');
const compiler = process.env.CC ?? 'cc';
const require = createRequire(import.meta.url);

let headers;
try {
  headers = join(dirname(require.resolve('node-api-headers/package.json')), 'include');
} catch {
  console.error('build-native: node-api-headers is not installed (run npm ci)');
  process.exit(1);
}
const sources = readdirSync(join(root, 'native'))
  .filter((f) => f.endsWith('.c'))
  .map((f) => join(root, 'native', f));
const outDir = join(root, 'build', 'native');
mkdirSync(outDir, { recursive: true });
const out = join(outDir, 'nepenthe_native.node');
const partial = `${out}.${process.pid}.tmp`;
const args = [
  '-O3',
  '-std=c11',
  '-D_GNU_SOURCE',
  '-DNAPI_VERSION=8',
  '-DNODE_GYP_MODULE_NAME=nepenthe_native',
  '-fPIC',
  '-shared',
  '-fvisibility=hidden',
  '-fno-math-errno',
  '-ffp-contract=off',
  '-fno-trapping-math',
  '-Wall',
  '-Wextra',
  '-Werror',
  '-pthread',
  `-I${headers}`,
  ...sources,
  '-o',
  partial,
  '-ldl',
  '-lm',
];
if (process.platform === 'darwin') args.push('-undefined', 'dynamic_lookup');
const result = spawnSync(compiler, args, { encoding: 'utf8' });
if (result.error || result.status !== 0) {
  const why = result.error
    ? `${compiler} not found (on Debian: apt-get install gcc)`
    : result.stderr.trim();
  console.error(`build-native: compiling native/*.c failed: ${why}`);
  process.exit(1);
}
renameSync(partial, out);
if (!quiet) console.log(out);
