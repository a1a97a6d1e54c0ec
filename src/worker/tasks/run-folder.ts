/**
 * The files of an audit run folder (docs/audit.md): atomic JSON writes, the manifest, and the
 * fingerprints of the inputs (size and sha256; never their text).
 */
import { VERSION_ENV } from '../../shared/environment.ts';
import { createHash } from 'node:crypto';
import os from 'node:os';
import {
  createReadStream,
  existsSync,
  readdirSync,
  readFileSync,
  renameSync,
  statSync,
} from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { RunManifest, type InputRecord } from '../../shared/audit.ts';
import { UserInputError } from '../../shared/errors.ts';
import { Checkpoint } from '../model/safetensors/index.ts';
import { hashFiles } from './inspect.ts';

export const MANIFEST = 'manifest.json';
export const METRICS_BEFORE = 'metrics-before.json';
export const METRICS_AFTER = 'metrics-after.json';
export const TRAINING = 'training.json';
export const MODEL = 'model';
export const ADAPTER = 'adapter';

/**
 * Writes `value` as JSON to a temporary name beside `path`, then renames it over `path`: a
 * reader (or a resumed run) sees the old file or the new one, never half of one (DESIGN.md §9).
 */
export async function writeJsonAtomic(path: string, value: unknown): Promise<void> {
  const temp = `${path}.${process.pid}.tmp`;
  await writeFile(temp, `${JSON.stringify(value, null, 1)}\n`);
  renameSync(temp, path);
}

/** Reads a JSON file that a run wrote, or throws a UserInputError naming it. */
export function readJson(path: string): unknown {
  try {
    return JSON.parse(readFileSync(path, 'utf8'));
  } catch (error) {
    throw new UserInputError(path, `not readable JSON (${(error as Error).message})`);
  }
}

export function readManifest(runDir: string): RunManifest {
  const path = join(runDir, MANIFEST);
  if (!existsSync(runDir)) throw new UserInputError(runDir, 'no such run folder');
  if (!existsSync(path))
    throw new UserInputError(runDir, `has no ${MANIFEST}; it is not an audit run folder`);
  const parsed = RunManifest.safeParse(readJson(path));
  if (!parsed.success)
    throw new UserInputError(path, `not an audit manifest (${parsed.error.issues[0]?.message})`);
  return parsed.data;
}

/** Whether a process is alive: shared with the output lock. */
export { processAlive } from './output-target.ts';

async function sha256Of(files: readonly string[]): Promise<string> {
  const hash = createHash('sha256');
  for (const file of files)
    for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

/**
 * Every regular file under `folder` (links to files followed), sorted by relative path. FIFOs,
 * sockets and devices are left out: the document readers skip them when their names are not
 * documents' (and refuse them when they are), and reading one to hash it would block or never end.
 */
function filesUnder(folder: string): string[] {
  const out: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const path = join(dir, name);
      const stats = statSync(path);
      if (stats.isDirectory()) walk(path);
      else if (stats.isFile()) out.push(path);
    }
  };
  walk(folder);
  return out.sort((a, b) => relative(folder, a).localeCompare(relative(folder, b)));
}

/** A document file (or folder of them): total size and sha256 over the bytes in path order. */
export async function fileRecord(path: string): Promise<InputRecord> {
  const files = statSync(path).isDirectory() ? filesUnder(path) : [path];
  const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
  return { path, bytes, sha256: await sha256Of(files) };
}

/** A model folder: its weight files' size and sha256 (the same hash `inspect` prints). */
export async function modelRecord(folder: string): Promise<InputRecord> {
  const checkpoint = Checkpoint.open(folder);
  try {
    const files = checkpoint.files;
    const bytes = files.reduce((n, f) => n + statSync(f).size, 0);
    return { path: folder, bytes, sha256: await hashFiles(files) };
  } finally {
    checkpoint.close();
  }
}

/** sha256 of the forget people's names, so a resume can check them without storing them. */
export function namesHash(names: readonly string[]): string {
  return createHash('sha256').update(JSON.stringify(names)).digest('hex');
}

/** The machine, for the manifest and the report: CPU, cores, memory, and the backend's own words. */
export function hardware(backendReason: string): NonNullable<RunManifest['hardware']> {
  const cpus = os.cpus();
  return {
    platform: os.platform(),
    arch: os.arch(),
    cpu: cpus[0]?.model.trim() ?? 'unknown',
    cores: Math.max(1, cpus.length),
    memoryBytes: os.totalmem(),
    backend: backendReason,
  };
}

export function versions(): RunManifest['versions'] {
  let nepenthe = process.env[VERSION_ENV] ?? 'unknown';
  if (nepenthe === 'unknown')
    try {
      const pkg = JSON.parse(
        readFileSync(new URL('../../../package.json', import.meta.url), 'utf8'),
      ) as { version?: string };
      nepenthe = pkg.version ?? nepenthe;
    } catch {
      // bundled builds may not carry package.json beside the code; the version is then unknown
    }
  return { nepenthe, tfjs: tf.version.tfjs, node: process.versions.node };
}
