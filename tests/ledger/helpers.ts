/** Shared by the ledger tests: scratch folders and a quick way to fill a ledger. */
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { appendEntry } from '../../src/main/ledger/index.ts';
import type { LedgerEntry } from '../../src/shared/ledger.ts';

const scratches: string[] = [];
afterAll(() => {
  for (const dir of scratches) rmSync(dir, { recursive: true, force: true });
});

export function scratchLedger(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nepenthe-ledger-'));
  scratches.push(dir);
  return join(dir, 'ledger.jsonl');
}

export const sha = (text: string): string => createHash('sha256').update(text).digest('hex');

export async function fillLedger(path: string, n: number): Promise<LedgerEntry[]> {
  const entries: LedgerEntry[] = [];
  for (let i = 1; i <= n; i++)
    entries.push(
      await appendEntry(path, {
        kind: 'report',
        runId: `run-${i}`,
        reportSha256: sha(`report ${i}`),
        metricsSha256: sha(`metrics ${i}`),
      }),
    );
  return entries;
}
