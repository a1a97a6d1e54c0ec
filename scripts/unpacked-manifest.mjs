#!/usr/bin/env node
/**
 * The signed manifest of the files the packaged app runs outside app.asar
 * (src/main/worker-host/manifest.ts; docs/packaging.md "What the integrity checks cover").
 *
 *   node scripts/unpacked-manifest.mjs keygen   after `electron-vite build`, before packaging:
 *       a fresh Ed25519 key for this build; the public half goes into out/main (inside app.asar),
 *       the private half into build/manifest-key/ (never packaged, git-ignored)
 *   afterPack (scripts/after-pack.cjs)           hashes resources/{app.asar.unpacked,node,native}
 *       and writes unpacked-manifest.json + .sig beside app.asar
 *
 * NEPENTHE_MANIFEST_KEY=<private.pem> signs with a release key instead of a per-build one.
 */
import { generateKeyPairSync } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { register } from 'tsx/esm/api';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const PRIVATE_KEY = join(root, 'build', 'manifest-key', 'private.pem');

async function manifestModule() {
  register();
  return import('../src/main/worker-host/manifest.ts');
}

export async function keygen() {
  const { PUBLIC_KEY_FILE } = await manifestModule();
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  mkdirSync(dirname(PRIVATE_KEY), { recursive: true });
  writeFileSync(PRIVATE_KEY, privateKey.export({ type: 'pkcs8', format: 'pem' }), { mode: 0o600 });
  writeFileSync(
    join(root, 'out', 'main', PUBLIC_KEY_FILE),
    publicKey.export({ type: 'spki', format: 'pem' }),
  );
}

/** electron-builder's afterPack context → the packaged resources folder, signed. */
export async function signPackaged(context) {
  const { writeUnpackedManifest } = await manifestModule();
  const resources =
    context.electronPlatformName === 'darwin'
      ? join(
          context.appOutDir,
          `${context.packager.appInfo.productFilename}.app`,
          'Contents',
          'Resources',
        )
      : join(context.appOutDir, 'resources');
  const key = readFileSync(process.env.NEPENTHE_MANIFEST_KEY || PRIVATE_KEY, 'utf8');
  const files = writeUnpackedManifest(resources, key);
  console.log(
    `unpacked-manifest: ${files} files outside app.asar hashed and signed (${resources})`,
  );
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  if (process.argv[2] === 'keygen') await keygen();
  else {
    console.error('usage: node scripts/unpacked-manifest.mjs keygen');
    process.exit(2);
  }
}
