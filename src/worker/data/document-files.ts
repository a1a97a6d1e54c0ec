/**
 * Which files a document path stands for, and their bytes, read within the size limits
 * (limits.ts). The rules (docs/documents.md):
 * - a path that is a file is read whatever its extension says (the format reader then decides);
 *   a folder is walked recursively in name order, and its files with one of the extensions are
 *   read, others skipped;
 * - a symbolic link to a regular file is read like the file itself, under the link's own name;
 *   a link to a folder, a dangling link and a link loop are errors naming the link, never
 *   skipped (a skipped forget document is a person never unlearned);
 * - a FIFO, socket or device is never read (a FIFO would block, /dev/zero never ends): as the
 *   path itself, or inside a folder under a document's name, it is an error;
 * - sizes come from `stat` and are checked, per file and for the set, before any file is read.
 */
import { lstat, open, readdir, readlink, stat } from 'node:fs/promises';
import { constants, type Stats } from 'node:fs';
import { basename, extname, join, relative } from 'node:path';
import { UserInputError } from '../../shared/errors.ts';
import { checkFileSize, checkSetSize, type DocumentLimits } from './limits.ts';

export interface InputFile {
  readonly file: string;
  /** The name relative to the path the user gave ('/' on every platform). */
  readonly id: string;
  /** Its size on disk when listed. */
  readonly bytes: number;
}

/**
 * The file itself, or every file under the folder with one of `extensions`; checked against
 * the limits (each file and the total) before anything is read.
 */
export async function listInputFiles(
  path: string,
  extensions: readonly string[],
  limits: DocumentLimits,
): Promise<InputFile[]> {
  const stats = await followed(path);
  let files: InputFile[];
  if (stats.isFile()) files = [{ file: path, id: basename(path), bytes: stats.size }];
  else if (stats.isDirectory()) {
    files = await walk(path, path, extensions);
    if (files.length === 0)
      throw new UserInputError(
        path,
        `no documents in folder (looked for ${extensions.join(', ')})`,
      );
  } else
    throw new UserInputError(
      path,
      `is ${kindOf(stats)}, not a file or folder; give a document file or a folder of them`,
    );
  for (const f of files) checkFileSize(f.file, f.bytes, limits);
  checkSetSize(
    path,
    files.reduce((n, f) => n + f.bytes, 0),
    limits,
  );
  return files;
}

async function walk(
  root: string,
  folder: string,
  extensions: readonly string[],
): Promise<InputFile[]> {
  const out: InputFile[] = [];
  let entries;
  try {
    entries = await readdir(folder, { withFileTypes: true });
  } catch (error) {
    throw new UserInputError(folder, `cannot be listed (${codeOf(error)}); check its permissions`);
  }
  entries.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  for (const { name } of entries) {
    const full = join(folder, name);
    const isDocument = extensions.includes(extname(name).toLowerCase());
    const id = relative(root, full).split('\\').join('/');
    // lstat rather than the Dirent's type: some file systems report every type as unknown.
    const own = await lstat(full).catch((error: unknown) => {
      throw new UserInputError(full, `cannot be read (${codeOf(error)}); check its permissions`);
    });
    if (own.isDirectory()) out.push(...(await walk(root, full, extensions)));
    else if (own.isFile()) {
      if (isDocument) out.push({ file: full, id, bytes: own.size });
    } else if (own.isSymbolicLink()) {
      // Followed whatever its name: a dangling link or a loop is reported, never passed over.
      const target = await followed(full);
      if (target.isDirectory())
        throw new UserInputError(
          full,
          `is a link to a folder (${await linkTarget(full)}); links to folders are not followed: ` +
            'add that folder itself, or replace the link with a copy',
        );
      if (!isDocument) continue;
      if (target.isFile()) out.push({ file: full, id, bytes: target.size });
      else throw notRegular(full, target);
    } else if (isDocument) throw notRegular(full, own);
  }
  return out;
}

function notRegular(path: string, stats: Stats): UserInputError {
  return new UserInputError(
    path,
    `is ${kindOf(stats)}, not a regular file; remove it from the folder or replace it with the file`,
  );
}

/** `stat` (links followed), with a dangling link, a loop and a missing path told apart. */
async function followed(path: string): Promise<Stats> {
  try {
    return await stat(path);
  } catch (error) {
    const code = codeOf(error);
    if (code === 'ELOOP')
      throw new UserInputError(
        path,
        'is a symbolic link loop (a link that leads back to itself); fix or remove the link',
      );
    if (code === 'ENOENT' || code === 'ENOTDIR') {
      const link = await lstat(path).catch(() => null);
      if (link?.isSymbolicLink() === true)
        throw new UserInputError(
          path,
          `is a link to ${await linkTarget(path)}, which does not exist; fix or remove the link`,
        );
      throw new UserInputError(path, 'no such file or folder');
    }
    throw new UserInputError(path, `cannot be read (${code}); check its permissions`);
  }
}

async function linkTarget(path: string): Promise<string> {
  return readlink(path).catch(() => 'an unreadable target');
}

function kindOf(stats: Stats): string {
  if (stats.isFIFO()) return 'a FIFO (named pipe)';
  if (stats.isCharacterDevice()) return 'a character device';
  if (stats.isBlockDevice()) return 'a block device';
  if (stats.isSocket()) return 'a socket';
  if (stats.isSymbolicLink()) return 'a symbolic link';
  return 'not a regular file';
}

function codeOf(error: unknown): string {
  return (error as { code?: string }).code ?? 'read error';
}

/**
 * A file's bytes, checked against the per-file limit as it is opened; never more than its size
 * then (plus one byte, to see that a file which grew meanwhile is refused, not read cut short).
 */
export async function readFileWithin(path: string, limits: DocumentLimits): Promise<Uint8Array> {
  let handle;
  try {
    // Non-blocking, so that a FIFO put in a file's place since it was listed cannot hang here.
    handle = await open(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    throw new UserInputError(path, `cannot be read (${codeOf(error)}); check its permissions`);
  }
  try {
    const stats = await handle.stat();
    if (!stats.isFile()) throw notRegular(path, stats);
    const { size } = stats;
    checkFileSize(path, size, limits);
    const buffer = Buffer.alloc(size + 1);
    let filled = 0;
    for (;;) {
      const { bytesRead } = await handle.read(buffer, filled, buffer.length - filled, filled);
      if (bytesRead === 0) break;
      filled += bytesRead;
      if (filled > size)
        throw new UserInputError(path, 'changed while it was being read; try again');
    }
    return new Uint8Array(buffer.buffer, buffer.byteOffset, filled);
  } catch (error) {
    if (error instanceof UserInputError) throw error;
    throw new UserInputError(path, `cannot be read (${codeOf(error)}); check its permissions`);
  } finally {
    await handle.close();
  }
}
