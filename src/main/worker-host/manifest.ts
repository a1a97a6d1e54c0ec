/**
 * The signed hash manifest of what the packaged app runs outside app.asar: the worker bundle and
 * its packages (app.asar.unpacked), the bundled Node runtime (node/) and the native kernels
 * (native/). Electron's asar integrity check covers app.asar only, and only on macOS and
 * Windows (docs/packaging.md), so these files are checked here, before the first worker starts:
 * every file listed must be there with its sha256, and no file may be there that is not listed.
 *
 * Written at packaging time (scripts/unpacked-manifest.mjs, electron-builder's afterPack) and
 * signed with Ed25519 by a key made for that build; the public key ships inside app.asar
 * (out/main/unpacked-manifest-key.pem), where the asar check protects it on macOS and Windows.
 */
import { createHash, createPrivateKey, createPublicKey, sign, verify } from 'node:crypto';
import {
  closeSync,
  existsSync,
  lstatSync,
  openSync,
  readdirSync,
  readFileSync,
  readSync,
  writeFileSync,
} from 'node:fs';
import { open } from 'node:fs/promises';
import { join, relative, sep } from 'node:path';
import { z } from 'zod';

export const MANIFEST_FILE = 'unpacked-manifest.json';
export const SIGNATURE_FILE = 'unpacked-manifest.sig';
/** Inside app.asar, beside the main bundle. */
export const PUBLIC_KEY_FILE = 'unpacked-manifest-key.pem';
/** The folders of resources/ whose files run outside the archive. */
export const COVERED_FOLDERS = ['app.asar.unpacked', 'node', 'native'] as const;

const UnpackedManifest = z.strictObject({
  version: z.literal(1),
  /** Path relative to resources/ with `/` separators → lowercase hex sha256. */
  files: z.record(z.string(), z.string().regex(/^[0-9a-f]{64}$/)),
});
type UnpackedManifest = z.infer<typeof UnpackedManifest>;

/** A file outside the archive is not what was packaged: the app must not run it. */
export class UnpackedTamperedError extends Error {
  override readonly name = 'UnpackedTamperedError';
}

/** Hashes every file under the covered folders and writes the manifest and its signature. */
export function writeUnpackedManifest(resourcesDir: string, privateKeyPem: string): number {
  const files: Record<string, string> = {};
  for (const file of coveredFiles(resourcesDir)) files[file] = sha256File(join(resourcesDir, file));
  const bytes = Buffer.from(`${JSON.stringify({ version: 1, files }, null, 1)}\n`);
  writeFileSync(join(resourcesDir, MANIFEST_FILE), bytes);
  const signature = sign(null, bytes, createPrivateKey(privateKeyPem));
  writeFileSync(join(resourcesDir, SIGNATURE_FILE), `${signature.toString('base64')}\n`);
  return Object.keys(files).length;
}

/**
 * Checks the signature, then every file; rejects with UnpackedTamperedError naming the first file
 * that is missing, changed or unexpected, and what to do. Reads asynchronously: in the desktop
 * app this runs in the main process, which must keep answering the window meanwhile.
 */
export async function verifyUnpackedFiles(
  resourcesDir: string,
  publicKeyPem: string,
): Promise<{ files: number; bytes: number }> {
  const manifestPath = join(resourcesDir, MANIFEST_FILE);
  const fail = (what: string) =>
    new UnpackedTamperedError(
      `${what}; the installation was changed after it was built: reinstall Nepenthe`,
    );
  const manifest = readSigned(manifestPath, join(resourcesDir, SIGNATURE_FILE), publicKeyPem, fail);
  const present = new Set(coveredFiles(resourcesDir, fail));
  for (const file of present)
    if (!(file in manifest.files))
      throw fail(`${join(resourcesDir, file)}: not in the signed ${MANIFEST_FILE}`);
  let bytes = 0;
  for (const [file, expected] of Object.entries(manifest.files)) {
    const path = join(resourcesDir, file);
    if (!present.has(file)) throw fail(`${path}: missing (listed in the signed ${MANIFEST_FILE})`);
    if ((await sha256FileAsync(path)) !== expected)
      throw fail(`${path}: its sha256 differs from the signed ${MANIFEST_FILE}`);
    bytes += lstatSync(path).size;
  }
  return { files: present.size, bytes };
}

function readSigned(
  manifestPath: string,
  signaturePath: string,
  publicKeyPem: string,
  fail: (what: string) => Error,
): UnpackedManifest {
  if (!existsSync(manifestPath) || !existsSync(signaturePath))
    throw fail(`${manifestPath}: the signed manifest of the unpacked files is missing`);
  const bytes = readFileSync(manifestPath);
  const signature = Buffer.from(readFileSync(signaturePath, 'utf8').trim(), 'base64');
  if (!verify(null, bytes, createPublicKey(publicKeyPem), signature))
    throw fail(`${manifestPath}: its signature does not verify against the app's build key`);
  const parsed = UnpackedManifest.safeParse(JSON.parse(bytes.toString('utf8')));
  if (!parsed.success) throw fail(`${manifestPath}: not an unpacked-files manifest`);
  return parsed.data;
}

/** Files under the covered folders, relative to resources/ with `/`; links are refused. */
function coveredFiles(
  resourcesDir: string,
  fail: (what: string) => Error = (what) => new Error(what),
): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir).sort()) {
      const path = join(dir, name);
      const stats = lstatSync(path);
      if (stats.isDirectory()) walk(path);
      else if (stats.isFile()) out.push(relative(resourcesDir, path).split(sep).join('/'));
      // A link could point anywhere after signing; the packaged tree has none.
      else throw fail(`${path}: not a regular file`);
    }
  };
  for (const folder of COVERED_FOLDERS) {
    const dir = join(resourcesDir, folder);
    if (existsSync(dir)) walk(dir);
  }
  return out;
}

/** Streamed in 4 MiB reads: libtensorflow and the Node binary are large. */
function sha256File(path: string): string {
  const hash = createHash('sha256');
  const buffer = Buffer.allocUnsafe(4 * 2 ** 20);
  const fd = openSync(path, 'r');
  try {
    for (let n; (n = readSync(fd, buffer, 0, buffer.length, null)) > 0;)
      hash.update(buffer.subarray(0, n));
  } finally {
    closeSync(fd);
  }
  return hash.digest('hex');
}

async function sha256FileAsync(path: string): Promise<string> {
  const hash = createHash('sha256');
  const file = await open(path, 'r');
  try {
    for await (const chunk of file.createReadStream({ highWaterMark: 4 * 2 ** 20 }))
      hash.update(chunk as Buffer);
  } finally {
    await file.close();
  }
  return hash.digest('hex');
}
