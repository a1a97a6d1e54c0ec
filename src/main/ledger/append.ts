/**
 * Appending to the ledger: under the lock, read the last entry, chain the new one onto it,
 * write the line with O_APPEND and fsync it (docs/ledger.md, "Appending"). A last line that
 * is cut off or unsound stops the append: chaining onto it would bless a damaged ledger.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readSync, statSync, writeSync } from 'node:fs';
import { dirname } from 'node:path';
import { GENESIS_HASH, LedgerAppend, type LedgerEntry } from '../../shared/ledger.ts';
import { UserInputError } from '../../shared/errors.ts';
import { entryHash, entryLine } from './canonical.ts';
import { withLedgerLock, type LockOptions } from './lock.ts';
import { parseEntry, readLedgerText } from './read.ts';

/** The ledger's last line is damaged; nothing was appended. */
export class LedgerCorruptError extends Error {
  override readonly name = 'LedgerCorruptError';
  constructor(
    readonly ledgerPath: string,
    readonly line: number,
    reason: string,
  ) {
    super(
      `${ledgerPath}: line ${line} ${reason}; nothing was appended. ` +
        `Run 'nepenthe ledger verify --ledger ${ledgerPath}', keep a copy of the file, and if every ` +
        `line before ${line} verifies, remove line ${line} (see docs/ledger.md, "Recovery")`,
    );
  }
}

export interface AppendOptions extends LockOptions {
  /** The entry's time (tests pin it). */
  readonly now?: () => Date;
}

export async function appendEntry(
  ledgerPath: string,
  request: LedgerAppend,
  options: AppendOptions = {},
): Promise<LedgerEntry> {
  const checked = LedgerAppend.safeParse(request);
  if (!checked.success)
    throw new UserInputError(
      ledgerPath,
      `bad ledger entry: ${checked.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`,
    );
  mkdirSync(dirname(ledgerPath), { recursive: true });
  return withLedgerLock(
    ledgerPath,
    () => {
      const last = readLastEntry(ledgerPath);
      const unhashed = {
        seq: (last?.seq ?? 0) + 1,
        time: (options.now?.() ?? new Date()).toISOString(),
        kind: checked.data.kind,
        runId: checked.data.runId,
        reportSha256: checked.data.reportSha256,
        metricsSha256: checked.data.metricsSha256,
        prevHash: last?.hash ?? GENESIS_HASH,
      };
      const entry: LedgerEntry = { ...unhashed, hash: entryHash(unhashed) };
      writeLine(ledgerPath, `${entryLine(entry)}\n`);
      return entry;
    },
    options,
  );
}

/** One write with O_APPEND, so the line lands whole at the end; fsync before the lock goes. */
function writeLine(ledgerPath: string, line: string): void {
  const bytes = Buffer.from(line, 'utf8');
  const fd = openSync(ledgerPath, 'a');
  try {
    let written = 0;
    while (written < bytes.length) written += writeSync(fd, bytes, written);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}

/**
 * The last entry, read from the end of the file, or undefined for a missing or empty ledger.
 * Throws LedgerCorruptError when the last line is cut off or not a sound entry.
 */
function readLastEntry(ledgerPath: string): LedgerEntry | undefined {
  let size: number;
  try {
    size = statSync(ledgerPath).size;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
  if (size === 0) return undefined;
  const tail = readTailLine(ledgerPath, size);
  if (!tail.endsWith('\n'))
    throw new LedgerCorruptError(
      ledgerPath,
      lineCount(ledgerPath) + 1,
      'has no trailing newline (a write was cut off)',
    );
  const result = parseEntry(tail.slice(0, -1));
  if ('reason' in result)
    throw new LedgerCorruptError(ledgerPath, lineCount(ledgerPath), `is damaged: ${result.reason}`);
  return result.entry;
}

/** The file's last line with its newline if it has one, read in growing chunks from the end. */
function readTailLine(ledgerPath: string, size: number): string {
  const fd = openSync(ledgerPath, 'r');
  try {
    for (let window = Math.min(size, 4096); ; window = Math.min(size, window * 2)) {
      const buffer = Buffer.alloc(window);
      readSync(fd, buffer, 0, window, size - window);
      // The newline that ends the line before the last one (skip the file's final byte).
      const start = window < 2 ? -1 : buffer.lastIndexOf(0x0a, window - 2);
      if (start >= 0) return buffer.subarray(start + 1).toString('utf8');
      if (window === size) return buffer.toString('utf8');
    }
  } finally {
    closeSync(fd);
  }
}

/** Newlines in the file: only counted on the error path, to name the damaged line. */
function lineCount(ledgerPath: string): number {
  return readLedgerText(ledgerPath).split('\n').length - 1;
}
