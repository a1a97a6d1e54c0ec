/** A separate process appending to one ledger: `node --import tsx append-child.ts <ledger> <n> <tag>`. */
import { createHash } from 'node:crypto';
import { appendEntry } from '../../src/main/ledger/index.ts';

const [ledgerPath, count, tag] = process.argv.slice(2);
if (ledgerPath === undefined || count === undefined || tag === undefined)
  throw new Error('usage: append-child.ts <ledger> <n> <tag>');
const sha = (text: string) => createHash('sha256').update(text).digest('hex');
for (let i = 0; i < Number(count); i++) {
  await appendEntry(ledgerPath, {
    kind: 'report',
    runId: `${tag}-${i}`,
    reportSha256: sha(`${tag} report ${i}`),
    metricsSha256: sha(`${tag} metrics ${i}`),
  });
}
