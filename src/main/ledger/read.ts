/**
 * Reading the ledger: walk the hash chain line by line and stop at the first line that does
 * not follow from the one before (docs/ledger.md, "Verifying").
 */
import { readFileSync } from 'node:fs';
import {
  GENESIS_HASH,
  LedgerEntry,
  type LedgerBreak,
  type LedgerVerification,
} from '../../shared/ledger.ts';
import { UserInputError } from '../../shared/errors.ts';
import { entryHash } from './canonical.ts';

/** The ledger file is missing or cannot be read (exit code 2 in the CLI). */
export class LedgerUnreadableError extends UserInputError {}

export function readLedgerText(ledgerPath: string): string {
  try {
    return readFileSync(ledgerPath, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    const why =
      code === 'ENOENT'
        ? 'no ledger here; pass --ledger <path> or append a report first'
        : code === 'EISDIR'
          ? 'a folder, not a ledger file; pass --ledger <the ledger.jsonl file>'
          : `cannot read the ledger (${code ?? (error as Error).message})`;
    throw new LedgerUnreadableError(ledgerPath, why);
  }
}

/** The file's lines; `complete` is false when the last one has no newline (a cut-off write). */
export function splitLines(text: string): { lines: string[]; complete: boolean } {
  if (text === '') return { lines: [], complete: true };
  const lines = text.split('\n');
  const complete = text.endsWith('\n');
  if (complete) lines.pop();
  return { lines, complete };
}

/**
 * Parses one line on its own: JSON, schema, and `hash` being the hash of the other fields.
 * Returns the entry, or why the line is not a sound entry.
 */
export function parseEntry(text: string): { entry: LedgerEntry } | { reason: string } {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return { reason: text === '' ? 'empty line' : 'not valid JSON' };
  }
  const parsed = LedgerEntry.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    return { reason: `not a ledger entry (${where}${issue?.message ?? 'invalid'})` };
  }
  const { hash, ...unhashed } = parsed.data;
  const actual = entryHash(unhashed);
  if (hash !== actual)
    return { reason: `hash does not match the entry's fields (recomputed ${actual})` };
  return { entry: parsed.data };
}

/** Checks one line and that it follows `previous` (undefined for the first line). */
export function checkLine(
  text: string,
  previous: LedgerEntry | undefined,
): { entry: LedgerEntry } | { reason: string } {
  const result = parseEntry(text);
  if ('reason' in result) return result;
  const { entry } = result;
  const expectedSeq = (previous?.seq ?? 0) + 1;
  if (entry.seq !== expectedSeq) return { reason: `seq is ${entry.seq}, expected ${expectedSeq}` };
  const expectedPrev = previous?.hash ?? GENESIS_HASH;
  if (entry.prevHash !== expectedPrev)
    return { reason: `prevHash is not the previous entry's hash (${expectedPrev})` };
  return { entry };
}

export interface LedgerWalk {
  readonly verification: LedgerVerification;
  /** The good entries, in order (all of them when the chain is intact). */
  readonly entries: readonly LedgerEntry[];
}

export function walkLedgerText(text: string): LedgerWalk {
  const { lines, complete } = splitLines(text);
  const entries: LedgerEntry[] = [];
  let brokenAt: LedgerBreak | undefined;
  for (const [i, line] of lines.entries()) {
    // A line without its newline is a write that did not finish, even if it happens to parse.
    const result =
      i === lines.length - 1 && !complete
        ? { reason: 'last line has no trailing newline: a write was cut off' }
        : checkLine(line, entries.at(-1));
    if ('reason' in result) {
      brokenAt = { line: i + 1, reason: result.reason };
      break;
    }
    entries.push(result.entry);
  }
  return {
    entries,
    verification: {
      valid: brokenAt === undefined,
      entries: entries.length,
      lastHash: entries.at(-1)?.hash ?? null,
      ...(brokenAt ? { brokenAt } : {}),
    },
  };
}

/** Walks the whole chain. Throws LedgerUnreadableError when the file is missing or unreadable. */
export function verifyLedger(ledgerPath: string): LedgerVerification & {
  readonly entryList: readonly LedgerEntry[];
} {
  const walk = walkLedgerText(readLedgerText(ledgerPath));
  return { ...walk.verification, entryList: walk.entries };
}

export interface LedgerLookup {
  readonly entry: LedgerEntry;
  /** 1-based line of the entry. */
  readonly line: number;
  /** The whole ledger's verification: the entry counts only if `chain.valid`. */
  readonly chain: LedgerVerification;
}

/**
 * The entry recording the report with this sha256, looked for among the chained entries
 * (those before any break), the latest if there are several; undefined if none. Throws
 * LedgerUnreadableError when the file is missing or unreadable.
 */
export function findEntry(ledgerPath: string, reportSha256: string): LedgerLookup | undefined {
  const { entries, verification } = walkLedgerText(readLedgerText(ledgerPath));
  for (let i = entries.length - 1; i >= 0; i--) {
    const entry = entries[i];
    if (entry?.reportSha256 === reportSha256) return { entry, line: i + 1, chain: verification };
  }
  return undefined;
}
