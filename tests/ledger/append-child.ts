/**
 * A separate process appending to one ledger: `node --import tsx append-child.ts <ledger> <n>
 * <tag>`. It says it is ready (`<ledger>.ready-<tag>`) and waits for `<ledger>.go` before its
 * first append, so that all children append at the same time rather than one after another
 * as they finish starting up.
 */
import { createHash } from 'node:crypto';
import { existsSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { appendEntry } from '../../src/main/ledger/index.ts';

const [ledgerPath, count, tag] = process.argv.slice(2);
if (ledgerPath === undefined || count === undefined || tag === undefined)
  throw new Error('usage: append-child.ts <ledger> <n> <tag>');
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
writeFileSync(`${ledgerPath}.ready-${tag}`, '');
while (!existsSync(`${ledgerPath}.go`)) await sleep(5);
for (let i = 0; i < Number(count); i++) {
  await appendEntry(ledgerPath, {
    kind: 'report',
    runId: `${tag}-${i}`,
    reportSha256: sha(`${tag} report ${i}`),
    metricsSha256: sha(`${tag} metrics ${i}`),
  });
  // A pause between reports, as in real use; without it the process that just released the
  // lock takes it straight back before the waiters' backoff ends, and nothing interleaves.
  await sleep(Math.random() * 4);
}
