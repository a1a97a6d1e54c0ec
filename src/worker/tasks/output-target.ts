/**
 * Where a command publishes its result (an `--out` folder or file), and the one rule for doing
 * it (docs/outputs.md): publishing never deletes anything the run did not create.
 *
 * - Up front, before any work: the target must be absent or an empty folder (a file target
 *   absent, unless the caller may replace its own earlier output); its parent an existing,
 *   writable folder (tried with a real mkdir, the only test that catches read-only mounts and
 *   pseudo file systems such as /proc, where a recursive mkdir loops forever); not inside one of
 *   the run's inputs; and not claimed by another live run.
 * - During the run: a lock file beside the target (`.<name>.lock`, holding the owner's pid)
 *   claims it; the result is written into a staging path beside it (same file system).
 * - At the end: one rename, which the kernel refuses when the target was filled meanwhile
 *   (rename(2) replaces only an empty folder), or a hard link that refuses an existing file.
 *   Nothing is ever removed from the target; when it changed, the run fails (exit 1) with the
 *   path of its finished result, which is kept.
 */
import { randomBytes } from 'node:crypto';
import {
  linkSync,
  lstatSync,
  mkdirSync,
  openSync,
  closeSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  statSync,
  unlinkSync,
  writeSync,
  type Stats,
} from 'node:fs';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { UserInputError } from '../../shared/errors.ts';

export interface TargetOptions {
  readonly kind: 'folder' | 'file';
  /** Folders (or files) the run reads: the target may not be one of them or lie inside one. */
  readonly inputs?: readonly (string | undefined)[];
  /**
   * What an existing target means. `refuse` (default): only an empty folder is accepted.
   * `continue`: a resumed run writes on into its own folder. `replace`: a file the run owns
   * (a run folder's report.pdf) may be replaced, unless it changes during the run.
   */
  readonly existing?: 'refuse' | 'continue' | 'replace';
}

/** The target changed while the run wrote its result: nothing was overwritten (exit 1). */
export class TargetChanged extends Error {
  override readonly name = 'TargetChanged';
  constructor(
    readonly target: string,
    /** The finished result, kept where it was staged. */
    readonly result: string,
    why: string,
  ) {
    super(
      `${target} changed during the run (${why}); nothing in it was touched: the finished result is at ${result}`,
    );
  }
}

/** Whether a process with this id is alive (signal 0 checks without sending anything). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export const lockPath = (target: string): string =>
  join(dirname(resolve(target)), `.${basename(target)}.lock`);

/** The staging folder beside a folder target (same file system, so the final rename is atomic). */
export const stagingFolder = (target: string): string =>
  join(dirname(target), `.${basename(target)}.partial`);

/**
 * Every up-front check of `target` (see the module comment); throws UserInputError naming
 * it and what to do. Leaves nothing behind.
 */
export function checkOutputTarget(target: string, options: TargetOptions): void {
  const out = resolve(target);
  for (const input of options.inputs ?? []) {
    if (input === undefined) continue;
    const rel = relative(resolve(input), out);
    if (rel === '' || (rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel)))
      throw new UserInputError(
        target,
        `is inside the input ${input}, which the run reads; choose an --out outside it`,
      );
  }
  const stats = lstatOrNull(out);
  if (stats !== null) checkExisting(target, stats, options);
  const parent = dirname(out);
  const parentStats = statOrNull(parent);
  if (parentStats === null)
    throw new UserInputError(target, `its parent folder ${parent} does not exist; create it first`);
  if (!parentStats.isDirectory())
    throw new UserInputError(target, `its parent ${parent} is not a folder`);
  const owner = liveOwner(lockPath(out));
  if (owner !== undefined && owner !== process.pid)
    throw new UserInputError(
      target,
      `is in use by another run (process ${owner}, lock ${lockPath(out)}); wait for it to finish or choose another --out`,
    );
  probeWritable(target, parent);
}

function checkExisting(target: string, stats: Stats, options: TargetOptions): void {
  const existing = options.existing ?? 'refuse';
  if (stats.isSymbolicLink())
    throw new UserInputError(target, 'is a symbolic link; give the real path as --out');
  if (options.kind === 'folder') {
    if (!stats.isDirectory())
      throw new UserInputError(target, 'exists and is not a folder; choose another --out');
    if (existing !== 'continue' && readdirSync(target).length > 0)
      throw new UserInputError(
        target,
        'already exists and is not empty; choose another --out or remove it',
      );
    return;
  }
  if (stats.isDirectory()) throw new UserInputError(target, 'is a folder; give --out a file name');
  if (existing !== 'replace')
    throw new UserInputError(target, 'already exists; choose another --out or remove it');
}

/** A real mkdir in `parent`: catches read-only mounts, /proc and /sys, missing permissions. */
function probeWritable(target: string, parent: string): void {
  const probe = join(parent, `.nepenthe-probe-${process.pid}-${randomBytes(4).toString('hex')}`);
  try {
    mkdirSync(probe); // never recursive: on /proc a recursive mkdir spins forever
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'error';
    throw new UserInputError(
      target,
      `cannot write in ${parent} (${code}: read-only, a pseudo file system or no permission); choose an --out on a writable disk`,
    );
  }
  rmdirSync(probe);
}

/**
 * A claimed target: checked, locked for this process, its state noted. `publish` moves the
 * finished result onto it; `release` drops the lock (always call it, in a finally).
 */
export class OutputTarget {
  private constructor(
    readonly path: string,
    private readonly kind: TargetOptions['kind'],
    /** The target as it was when claimed (only a replaceable file may exist then). */
    private readonly before: Stats | null,
    private held: boolean,
  ) {}

  /** Checks `target` and takes its lock; a UserInputError (exit 2) when it cannot be had. */
  static claim(target: string, options: TargetOptions): OutputTarget {
    checkOutputTarget(target, options);
    takeLock(target);
    try {
      // Checked again under the lock: the state a publish compares with.
      checkOutputTarget(target, options);
    } catch (error) {
      releaseLock(target);
      throw error;
    }
    return new OutputTarget(target, options.kind, lstatOrNull(target), true);
  }

  /** The staging folder beside this (folder) target. */
  get staging(): string {
    return stagingFolder(this.path);
  }

  /**
   * Moves `result` (a finished folder or file on the same file system) onto the target, or
   * throws TargetChanged and leaves both as they are when the target changed meanwhile.
   */
  publish(result: string): void {
    if (this.kind === 'folder') return this.publishFolder(result);
    return this.publishFile(result);
  }

  private publishFolder(result: string): void {
    const now = lstatOrNull(this.path);
    if (now !== null && (!now.isDirectory() || readdirSync(this.path).length > 0))
      throw new TargetChanged(this.path, result, 'it is no longer an empty folder');
    try {
      renameSync(result, this.path); // replaces only a still-empty folder
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOTDIR' || code === 'EISDIR')
        throw new TargetChanged(this.path, result, `${code}: something was put there`);
      throw error;
    }
  }

  private publishFile(result: string): void {
    const now = lstatOrNull(this.path);
    if (this.before === null) {
      if (now !== null) throw new TargetChanged(this.path, result, 'a file appeared there');
      try {
        linkSync(result, this.path); // unlike rename, refuses a file created since the check
      } catch (error) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code === 'EEXIST') throw new TargetChanged(this.path, result, 'a file appeared there');
        renameSync(result, this.path); // no hard links on this file system
        return;
      }
      unlinkSync(result);
      return;
    }
    if (now === null || !sameFile(this.before, now))
      throw new TargetChanged(this.path, result, 'it was replaced or edited');
    renameSync(result, this.path);
  }

  release(): void {
    if (!this.held) return;
    this.held = false;
    releaseLock(this.path);
  }
}

const sameFile = (a: Stats, b: Stats) =>
  a.ino === b.ino && a.dev === b.dev && a.size === b.size && a.mtimeMs === b.mtimeMs;

/** The pid of a live process holding `lock`, if any (a dead owner's lock is stale). */
function liveOwner(lock: string): number | undefined {
  let text: string;
  try {
    text = readFileSync(lock, 'utf8');
  } catch {
    return undefined;
  }
  const pid = Number.parseInt(text, 10);
  return Number.isInteger(pid) && pid > 0 && processAlive(pid) ? pid : undefined;
}

/** Creates the lock exclusively; a stale one (its owner dead) is taken over. */
function takeLock(target: string): void {
  const lock = lockPath(target);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(lock, 'wx');
      writeSync(fd, `${process.pid}\n`);
      closeSync(fd);
      return;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      const owner = liveOwner(lock);
      if (owner === process.pid)
        throw new UserInputError(target, `is already being written by this process`);
      if (owner !== undefined)
        throw new UserInputError(
          target,
          `is in use by another run (process ${owner}, lock ${lock}); wait for it to finish or choose another --out`,
        );
      unlinkSync(lock); // stale: its run was killed
    }
  }
  throw new UserInputError(target, `could not take the lock ${lock}; try again`);
}

function releaseLock(target: string): void {
  const lock = lockPath(target);
  if (liveOwner(lock) === process.pid) unlinkSync(lock);
}

function lstatOrNull(path: string): Stats | null {
  try {
    return lstatSync(path);
  } catch {
    return null;
  }
}

/** Follows links: a parent folder reached through a symbolic link is fine. */
function statOrNull(path: string): Stats | null {
  try {
    return statSync(path);
  } catch {
    return null;
  }
}
