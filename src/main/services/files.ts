/**
 * `files.list` (the in-app file browser: the browser transport has no native dialog),
 * `files.pick` (native dialogs, when the transport has them) and `files.upload` (a file dropped
 * on the browser page, written under the workspace).
 */
import { randomBytes } from 'node:crypto';
import {
  lstatSync,
  mkdirSync,
  readdirSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
  type Stats,
} from 'node:fs';
import { homedir } from 'node:os';
import { dirname, extname, join, resolve } from 'node:path';
import type { FileEntry, FilePurpose } from '../../shared/app-api.ts';
import { DOCUMENT_EXTENSIONS } from '../../worker/data/documents.ts';
import { ApiFailure, type Handlers } from '../ipc/dispatcher.ts';
import { testbedPaths, type ServiceContext } from './context.ts';

type FileHandlers = Pick<Handlers, 'files.list' | 'files.pick' | 'files.upload'>;

/** What a purpose accepts among files (folders: documents, model, folder). */
const FILE_EXTENSIONS: Record<FilePurpose, readonly string[]> = {
  documents: DOCUMENT_EXTENSIONS,
  qa: ['.jsonl'],
  p12: ['.p12', '.pfx'],
  model: [],
  folder: [],
};

export function fileHandlers(context: ServiceContext): FileHandlers {
  const home = context.env.HOME || homedir();
  return {
    async 'files.list'({ path, purpose }) {
      const folder = resolve(path ?? home);
      let names: string[];
      try {
        if (!statSync(folder).isDirectory())
          throw new ApiFailure('not-found', `${folder}: not a folder`);
        names = readdirSync(folder);
      } catch (error) {
        if (error instanceof ApiFailure) throw error;
        throw new ApiFailure('not-found', `${folder}: cannot be listed (${errorCode(error)})`);
      }
      const found = names
        .filter((name) => !name.startsWith('.'))
        .map((name) => entryFor(join(folder, name), name, purpose));
      const entries = found
        .filter((e): e is FileEntry => !('reason' in e))
        .sort((a, b) =>
          a.kind === b.kind ? a.name.localeCompare(b.name) : a.kind === 'dir' ? -1 : 1,
        );
      const unlisted = found
        .filter((e): e is Unlisted => 'reason' in e)
        .sort((a, b) => a.name.localeCompare(b.name));
      const parent = dirname(folder);
      return {
        path: folder,
        parent: parent === folder ? null : parent,
        entries,
        unlisted,
        roots: roots(context, home),
      };
    },
    async 'files.pick'(request) {
      if (context.options.dialogs === undefined) return { supported: false, paths: null };
      return context.options.dialogs.pick(request);
    },
    async 'files.upload'({ name, dataBase64 }) {
      const data = Buffer.from(dataBase64, 'base64');
      const folder = join(
        context.settings.get().workspace,
        'uploads',
        randomBytes(8).toString('hex'),
      );
      const path = join(folder, name);
      // The schema refuses separators, `.` and `..`; this keeps the write inside its folder
      // whatever the schema lets through.
      if (dirname(path) !== folder)
        throw new ApiFailure('bad-input', `"${name}": a file name, without folders`);
      // The folder is this upload's own, so a fixed temp name is free (and never too long).
      const temp = join(folder, '.upload.partial');
      try {
        mkdirSync(folder, { recursive: true });
        writeFileSync(temp, data);
        renameSync(temp, path);
      } catch (error) {
        // Nothing half-written stays behind (DESIGN.md §9): the upload's folder is its own.
        rmSync(folder, { recursive: true, force: true });
        if (errorCode(error) === 'ENAMETOOLONG')
          throw new ApiFailure('bad-input', `"${name}": the file name is too long for this disk`);
        throw new ApiFailure(
          'failed',
          `${path}: the upload could not be saved (${errorCode(error)})`,
        );
      }
      return { path, bytes: data.length };
    },
  };
}

/** An entry the browser cannot offer, with the reason shown to the user. */
interface Unlisted {
  readonly name: string;
  readonly reason: string;
}

/** One entry, or why it is not offered (a dangling link, a FIFO, a vanished file). */
function entryFor(
  path: string,
  name: string,
  purpose: FilePurpose | undefined,
): FileEntry | Unlisted {
  let stats: Stats;
  try {
    stats = statSync(path);
  } catch (error) {
    return { name, reason: unreadable(path, error) };
  }
  const dir = stats.isDirectory();
  if (!dir && !stats.isFile()) return { name, reason: `${specialKind(stats)}, not a file` };
  const isModel = dir && isModelFolder(path);
  return {
    name,
    path,
    kind: dir ? 'dir' : 'file',
    bytes: dir ? 0 : stats.size,
    isModel,
    selectable: selectable(purpose, dir, name),
  };
}

/** Why `path` could not be stat'ed, in words. */
function unreadable(path: string, error: unknown): string {
  const code = errorCode(error);
  let link = false;
  try {
    link = lstatSync(path).isSymbolicLink();
  } catch {
    // gone since readdir: reported as such below
  }
  if (link && code === 'ENOENT') return 'a link to something that does not exist';
  if (link && code === 'ELOOP') return 'a link that loops back on itself';
  if (code === 'ENOENT') return 'removed while the folder was read';
  if (code === 'EACCES' || code === 'EPERM') return 'not readable (permission denied)';
  return `cannot be read (${code})`;
}

function specialKind(stats: Stats): string {
  if (stats.isFIFO()) return 'a named pipe (FIFO)';
  if (stats.isSocket()) return 'a socket';
  if (stats.isCharacterDevice() || stats.isBlockDevice()) return 'a device';
  return 'a special file';
}

function selectable(purpose: FilePurpose | undefined, dir: boolean, name: string): boolean {
  switch (purpose) {
    case undefined:
      return true;
    case 'model': // any folder: the browser descends into it; isModel marks the real ones
    case 'folder':
      return dir;
    case 'documents':
      return dir || FILE_EXTENSIONS.documents.includes(extname(name).toLowerCase());
    default:
      return !dir && FILE_EXTENSIONS[purpose].includes(extname(name).toLowerCase());
  }
}

/** A Hugging Face model folder: config.json beside safetensors weights. */
export function isModelFolder(folder: string): boolean {
  try {
    const names = readdirSync(folder);
    return names.includes('config.json') && names.some((n) => n.endsWith('.safetensors'));
  } catch {
    return false;
  }
}

function roots(context: ServiceContext, home: string) {
  const out = [
    { label: 'Home', path: home },
    { label: 'Workspace', path: context.settings.get().workspace },
  ];
  const testbed = testbedPaths(context.resourcesDir);
  if (testbed !== null) out.push({ label: 'Testbed', path: dirname(testbed.model) });
  return out;
}

export function errorCode(error: unknown): string {
  return (error as { code?: string }).code ?? (error as Error).message ?? String(error);
}
