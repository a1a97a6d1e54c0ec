/**
 * The ledger half of `nepenthe verify` (docs/signing.md, docs/ledger.md): is the signed PDF
 * recorded in the audit ledger, is the chain intact, and does the embedded metrics-after.json
 * hash to what the entry recorded? A missing ledger file is reported, not failed: a report
 * copied to another machine has no ledger beside it.
 */
import { existsSync, readFileSync } from 'node:fs';
import type { LedgerCheck } from '../../shared/report.ts';
import type { VerifiedAttachment } from '../../shared/signing.ts';
import { findEntry, verifyLedger } from '../ledger/index.ts';

export function checkLedger(
  ledgerPath: string,
  reportSha256: string,
  attachments: readonly VerifiedAttachment[],
): LedgerCheck {
  if (!existsSync(ledgerPath)) {
    return {
      path: ledgerPath,
      present: false,
      found: false,
      seq: null,
      chainValid: null,
      metricsMatch: null,
    };
  }
  const lookup = findEntry(ledgerPath, reportSha256);
  const chain = lookup?.chain ?? verifyLedger(ledgerPath);
  const base = {
    path: ledgerPath,
    present: true,
    chainValid: chain.valid,
    ...(chain.brokenAt ? { brokenAt: chain.brokenAt } : {}),
  };
  // An entry at or after a break is not in the chain; look for it anyway, to say where it is.
  const entry =
    lookup?.entry ?? (chain.valid ? undefined : unchainedEntry(ledgerPath, reportSha256));
  const breakText = `line ${chain.brokenAt?.line}: ${chain.brokenAt?.reason}`;
  if (!entry) {
    // A broken chain may have lost this very entry (a deleted or rewritten line): fail.
    return {
      ...base,
      found: false,
      seq: null,
      metricsMatch: null,
      ...(chain.valid
        ? {}
        : {
            failure: `the ledger's chain is broken (${breakText}) and the report is not among the entries before the break`,
          }),
    };
  }
  const metrics = attachments.find((a) => a.name === 'metrics-after.json');
  const metricsMatch = metrics ? metrics.sha256 === entry.metricsSha256 : null;
  const failure = !chain.valid
    ? `the report's ledger entry (seq ${entry.seq}) is in a broken chain: ${breakText}`
    : metricsMatch === false
      ? `the embedded metrics-after.json does not hash to the ledger entry's metricsSha256 (seq ${entry.seq})`
      : undefined;
  return {
    ...base,
    found: true,
    seq: entry.seq,
    metricsMatch,
    ...(failure ? { failure } : {}),
  };
}

/** The last line that names this report, read leniently (it failed the chain check). */
function unchainedEntry(
  ledgerPath: string,
  reportSha256: string,
): { seq: number; metricsSha256: string } | undefined {
  let found: { seq: number; metricsSha256: string } | undefined;
  for (const line of readFileSync(ledgerPath, 'utf8').split('\n')) {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      continue;
    }
    const e = json as { seq?: unknown; reportSha256?: unknown; metricsSha256?: unknown };
    if (
      e.reportSha256 === reportSha256 &&
      typeof e.seq === 'number' &&
      Number.isInteger(e.seq) &&
      e.seq > 0
    )
      found = { seq: e.seq, metricsSha256: String(e.metricsSha256) };
  }
  return found;
}
