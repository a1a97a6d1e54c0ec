/**
 * `nepenthe ledger verify` on ledgers that are damaged, forged or not ledgers at all
 * (docs/ledger.md "Verifying"): a broken chain is exit 1 naming the line and the reason, a ledger
 * that is missing or cannot be read is exit 2 naming the file; the ledger is never changed.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { appendEntry } from '../../../src/main/ledger/index.ts';
import type { CliCase, CliExpectation } from '../corpus.ts';

const sha = (text: string) => createHash('sha256').update(text).digest('hex');

/** A valid ledger of `n` report entries in `dir`; its lines. */
async function ledgerOf(dir: string, n: number): Promise<{ path: string; lines: string[] }> {
  const path = join(dir, 'ledger.jsonl');
  for (let i = 1; i <= n; i++)
    await appendEntry(path, {
      kind: 'report',
      runId: `run-${i}`,
      reportSha256: sha(`report ${i}`),
      metricsSha256: sha(`metrics ${i}`),
    });
  return { path, lines: readFileSync(path, 'utf8').split('\n').slice(0, -1) };
}

/** A damaged ledger: exit 1, the path, the line and the reason; the file left as it was. */
async function broken(
  dir: string,
  damage: (lines: string[]) => string,
  line: number,
  reason: string,
): Promise<CliExpectation> {
  const { path, lines } = await ledgerOf(dir, 4);
  const text = damage(lines);
  writeFileSync(path, text);
  return {
    args: ['ledger', 'verify', '--ledger', path],
    exitCode: 1,
    mentions: [path, `line ${line}`, reason],
    after: () => expect(readFileSync(path, 'utf8')).toBe(text),
  };
}

const joined = (lines: string[]) => `${lines.join('\n')}\n`;

export const LEDGER_CASES: CliCase[] = [
  {
    area: 'ledger',
    name: 'an entry whose runId was edited',
    setup: (dir) =>
      broken(
        dir,
        (ls) => joined(ls.map((l, i) => (i === 2 ? l.replace('run-3', 'run-X') : l))),
        3,
        'hash',
      ),
  },
  {
    area: 'ledger',
    name: 'a middle entry deleted',
    setup: (dir) => broken(dir, (ls) => joined(ls.filter((_, i) => i !== 1)), 2, 'seq'),
  },
  {
    area: 'ledger',
    name: 'two entries swapped',
    setup: (dir) => broken(dir, (ls) => joined([ls[0]!, ls[2]!, ls[1]!, ls[3]!]), 2, 'seq'),
  },
  {
    area: 'ledger',
    name: 'the last entry cut off mid-line',
    setup: (dir) =>
      broken(
        dir,
        (ls) => `${ls.slice(0, 3).join('\n')}\n${ls[3]!.slice(0, 40)}`,
        4,
        'no trailing newline',
      ),
  },
  {
    area: 'ledger',
    name: 'a line that is not JSON',
    setup: (dir) =>
      broken(dir, (ls) => joined([ls[0]!, 'not json at all', ...ls.slice(1)]), 2, 'not valid JSON'),
  },
  {
    area: 'ledger',
    name: 'a JSON line that is not a ledger entry',
    setup: (dir) =>
      broken(dir, (ls) => joined([...ls, '{"seq":5,"note":"forged"}']), 5, 'not a ledger entry'),
  },
  {
    area: 'ledger',
    name: 'binary garbage instead of a ledger',
    async setup(dir) {
      const path = join(dir, 'ledger.jsonl');
      writeFileSync(path, Buffer.from([0, 1, 2, 0xff, 0xfe, 10]));
      return {
        args: ['ledger', 'verify', '--ledger', path],
        exitCode: 1,
        mentions: [path, 'line 1', 'not valid JSON'],
      };
    },
  },
  {
    area: 'ledger',
    name: 'a missing ledger',
    setup: (dir) => ({
      args: ['ledger', 'verify', '--ledger', join(dir, 'nope.jsonl')],
      mentions: [join(dir, 'nope.jsonl'), 'no ledger here'],
    }),
  },
  {
    area: 'ledger',
    name: 'a folder given as the ledger',
    setup(dir) {
      const path = join(dir, 'ledger.jsonl');
      mkdirSync(path);
      return {
        args: ['ledger', 'verify', '--ledger', path],
        mentions: [path, 'a folder, not a ledger file'],
      };
    },
  },
  {
    area: 'ledger',
    name: 'an unknown ledger action',
    setup: (dir) => ({
      args: ['ledger', 'repair', '--ledger', join(dir, 'ledger.jsonl')],
      mentions: ['unknown ledger action "repair"'],
    }),
  },
];
