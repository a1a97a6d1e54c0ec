/**
 * The tamper-evident audit ledger (DESIGN.md §6, docs/ledger.md). No Electron here: the CLI
 * and the app share it.
 */
export { appendEntry, LedgerCorruptError, type AppendOptions } from './append.ts';
export { canonicalJson, entryHash } from './canonical.ts';
export { LedgerLockTimeoutError } from './lock.ts';
export { configDir, defaultLedgerPath } from './paths.ts';
export { findEntry, LedgerUnreadableError, verifyLedger, type LedgerLookup } from './read.ts';
