/**
 * An exclusive lock file beside the ledger, so that appends from several processes (the CLI,
 * the app, two terminals) never interleave or chain onto the same entry (docs/ledger.md,
 * "Locking"). The lock is `<ledger>.lock`, created with O_EXCL and holding the owner's pid.
 * A lock whose pid is dead is stale and is taken over; breaking it is itself serialized by a
 * second O_EXCL file, so two waiters cannot both break it and then both hold the lock.
 */
import { closeSync, openSync, readFileSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface LockOptions {
  /** Give up after waiting this long for a live holder (default 10 s). */
  readonly timeoutMs?: number;
}

/** A lock file with no pid yet is only stale once it is this old (its creator may be mid-write). */
const EMPTY_LOCK_GRACE_MS = 2_000;
/** A break file older than this was left by a process that died while breaking a lock. */
const BREAK_GRACE_MS = 5_000;
const FIRST_BACKOFF_MS = 2;
const MAX_BACKOFF_MS = 100;

export class LedgerLockTimeoutError extends Error {
  override readonly name = 'LedgerLockTimeoutError';
}

/** Runs `work` while holding `<ledgerPath>.lock`; the lock is released even if `work` throws. */
export async function withLedgerLock<T>(
  ledgerPath: string,
  work: () => T,
  options: LockOptions = {},
): Promise<T> {
  const lockPath = `${ledgerPath}.lock`;
  await acquire(lockPath, options.timeoutMs ?? 10_000);
  try {
    return work();
  } finally {
    release(lockPath);
  }
}

async function acquire(lockPath: string, timeoutMs: number): Promise<void> {
  const start = Date.now();
  let backoff = FIRST_BACKOFF_MS;
  for (;;) {
    if (tryCreate(lockPath, `${process.pid}\n`)) return;
    if (breakIfStale(lockPath)) continue;
    if (Date.now() - start > timeoutMs) {
      const holder = readHolder(lockPath);
      throw new LedgerLockTimeoutError(
        `${lockPath}: the ledger is locked by pid ${holder?.pid ?? '?'} (waited ${timeoutMs} ms); ` +
          `if no nepenthe process is running, delete the lock file and try again`,
      );
    }
    // Jitter keeps waiters that woke together from colliding again.
    await sleep(backoff * (0.5 + Math.random()));
    backoff = Math.min(backoff * 2, MAX_BACKOFF_MS);
  }
}

/** Creates `path` exclusively (O_CREAT | O_EXCL) with `content`; false if it already exists. */
function tryCreate(path: string, content: string): boolean {
  let fd: number;
  try {
    fd = openSync(path, 'wx');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EEXIST') return false;
    throw error;
  }
  try {
    writeSync(fd, content);
  } finally {
    closeSync(fd);
  }
  return true;
}

interface Holder {
  readonly pid: number | undefined;
  readonly ageMs: number;
}

function readHolder(lockPath: string): Holder | undefined {
  try {
    const ageMs = Date.now() - statSync(lockPath).mtimeMs;
    const pid = Number.parseInt(readFileSync(lockPath, 'utf8').trim(), 10);
    return { pid: Number.isSafeInteger(pid) && pid > 0 ? pid : undefined, ageMs };
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: existence check only
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to another user.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function isStale(holder: Holder): boolean {
  return holder.pid === undefined
    ? holder.ageMs > EMPTY_LOCK_GRACE_MS
    : !isProcessAlive(holder.pid);
}

/** Removes the lock if its holder is dead. True when the caller should retry at once. */
function breakIfStale(lockPath: string): boolean {
  const holder = readHolder(lockPath);
  if (holder === undefined) return true; // released meanwhile
  if (!isStale(holder)) return false;
  const breakPath = `${lockPath}.break`;
  if (!tryCreate(breakPath, `${process.pid}\n`)) {
    const breaker = readHolder(breakPath);
    if (breaker !== undefined && breaker.ageMs > BREAK_GRACE_MS) unlinkQuietly(breakPath);
    return false;
  }
  try {
    // Only breakers hold the break file, and a dead holder never releases, so if the lock
    // still names the same holder it is still the stale one: nobody re-created it meanwhile.
    const again = readHolder(lockPath);
    if (again === undefined) return true;
    if (again.pid !== holder.pid || !isStale(again)) return false;
    unlinkQuietly(lockPath);
    return true;
  } finally {
    unlinkQuietly(breakPath);
  }
}

function release(lockPath: string): void {
  const holder = readHolder(lockPath);
  if (holder?.pid === process.pid) unlinkQuietly(lockPath);
}

function unlinkQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
}
