/**
 * What the packaged app runs outside app.asar is checked against a manifest signed at build time
 * (src/main/worker-host/manifest.ts): a packaged resources/ layout is signed here with a fresh
 * Ed25519 key, then a changed byte, a planted file, a removed file, an edited manifest and a
 * foreign key are each refused with an error naming the file — and the worker never starts.
 */
import { generateKeyPairSync } from 'node:crypto';
import {
  appendFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  MANIFEST_FILE,
  PUBLIC_KEY_FILE,
  UnpackedTamperedError,
  verifyUnpackedFiles,
  writeUnpackedManifest,
} from '../../src/main/worker-host/manifest.ts';
import { packagedLaunch } from '../../src/main/worker-host/launch.ts';
import { newJobId, WorkerHost } from '../../src/main/worker-host/index.ts';
import { root } from './built-app.ts';
// @ts-expect-error: a plain ES module script without types
import { workerPackages, unpackGlob } from '../../scripts/worker-packages.mjs';

// js-yaml comes with eslint (as in security.test.ts).
const yaml = createRequire(import.meta.url)('js-yaml') as { load(text: string): unknown };

let resources: string;
let keys: { publicPem: string; privatePem: string };

function keyPair() {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  return {
    publicPem: publicKey.export({ type: 'spki', format: 'pem' }).toString(),
    privatePem: privateKey.export({ type: 'pkcs8', format: 'pem' }).toString(),
  };
}

function put(path: string, text: string) {
  mkdirSync(join(path, '..'), { recursive: true });
  writeFileSync(path, text);
}

beforeEach(() => {
  resources = mkdtempSync(join(tmpdir(), 'nepenthe-resources-'));
  keys = keyPair();
  const worker = join(resources, 'app.asar.unpacked', 'out', 'worker', 'worker.js');
  put(worker, 'console.log("worker")\n');
  put(join(resources, 'app.asar.unpacked', 'node_modules', 'zod', 'index.js'), 'export {}\n');
  put(join(resources, 'node', 'node'), '#!/bin/sh\n');
  put(join(resources, 'native', 'nepenthe_native.node'), 'addon');
  // The public key ships inside app.asar; a folder of that name stands in for the archive here.
  put(join(resources, 'app.asar', 'out', 'main', PUBLIC_KEY_FILE), keys.publicPem);
  expect(writeUnpackedManifest(resources, keys.privatePem)).toBe(4);
});
afterEach(() => rmSync(resources, { recursive: true, force: true }));

const tampered = async (message: RegExp) => {
  const verified = verifyUnpackedFiles(resources, keys.publicPem);
  await expect(verified).rejects.toThrow(UnpackedTamperedError);
  await expect(verified).rejects.toThrow(message);
};

describe('the signed manifest of the unpacked files', () => {
  it('accepts the files as packaged', async () => {
    expect((await verifyUnpackedFiles(resources, keys.publicPem)).files).toBe(4);
  });

  it('refuses a changed worker bundle, naming it', async () => {
    appendFileSync(join(resources, 'app.asar.unpacked/out/worker/worker.js'), 'evil()\n');
    await tampered(
      /worker\.js: its sha256 differs from the signed unpacked-manifest\.json.*reinstall/,
    );
  });

  it('refuses a changed native addon and a changed Node runtime', async () => {
    writeFileSync(join(resources, 'native/nepenthe_native.node'), 'other');
    await tampered(/nepenthe_native\.node: its sha256 differs/);
    writeUnpackedManifest(resources, keys.privatePem);
    writeFileSync(join(resources, 'node/node'), '#!/bin/sh\nevil\n');
    await tampered(/node\/node: its sha256 differs/);
  });

  it('refuses a planted file and a removed one', async () => {
    put(join(resources, 'app.asar.unpacked/node_modules/zod/evil.js'), 'x');
    await tampered(/evil\.js: not in the signed unpacked-manifest\.json/);
    rmSync(join(resources, 'app.asar.unpacked/node_modules/zod/evil.js'));
    rmSync(join(resources, 'node/node'));
    await tampered(/node: missing/);
  });

  it('refuses an edited manifest, a missing one, and a manifest signed by another key', async () => {
    const manifest = join(resources, MANIFEST_FILE);
    const text = readFileSync(manifest, 'utf8');
    writeFileSync(manifest, text.replace(/"[0-9a-f]{64}"/, `"${'0'.repeat(64)}"`));
    await tampered(/signature does not verify/);
    writeUnpackedManifest(resources, keyPair().privatePem);
    await tampered(/signature does not verify/);
    rmSync(manifest);
    await tampered(/signed manifest of the unpacked files is missing/);
  });

  it('the packaged launch refuses to start a tampered worker, with the reason', async () => {
    appendFileSync(join(resources, 'app.asar.unpacked/out/worker/worker.js'), 'evil()\n');
    const host = new WorkerHost({ launch: packagedLaunch(resources, 'linux', {}) });
    try {
      await expect(
        host.run({ id: newJobId(), kind: 'describe', request: { backend: 'wasm', seed: 0 } }),
      ).rejects.toThrow(/worker\.js: its sha256 differs/);
    } finally {
      await host.dispose();
    }
  });
});

describe('electron-builder.yml asarUnpack', () => {
  const config = yaml.load(readFileSync(join(root, 'electron-builder.yml'), 'utf8')) as {
    asarUnpack: string[];
    afterPack: string;
  };

  it('keeps main (signing, ledger) and its own packages in the archive', () => {
    expect(config.asarUnpack).not.toContain('out/main/**');
    expect(config.asarUnpack).not.toContain('**/node_modules/**');
    for (const name of ['@signpdf/signpdf', 'node-forge', 'pdfkit', 'echarts', 'svg-to-pdfkit'])
      expect(config.asarUnpack).not.toContain(unpackGlob(name));
    expect(config.asarUnpack).toEqual(expect.arrayContaining(['package.json', 'out/worker/**']));
  });

  it('unpacks every package the worker loads, and signs the manifest after packing', () => {
    const needed = (workerPackages() as string[]).map(unpackGlob);
    expect(needed.length).toBeGreaterThan(10);
    expect(config.asarUnpack).toEqual(expect.arrayContaining(needed));
    expect(config.afterPack).toBe('scripts/after-pack.cjs');
  });
});
