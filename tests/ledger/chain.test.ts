/**
 * The hash chain: N appended entries verify; changing any field of line k, deleting a line,
 * swapping two, or cutting the last one off is caught at exactly that line; append refuses to
 * chain onto a cut-off line.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  appendEntry,
  defaultLedgerPath,
  configDir,
  entryHash,
  findEntry,
  LedgerCorruptError,
  LedgerUnreadableError,
  verifyLedger,
} from '../../src/main/ledger/index.ts';
import { GENESIS_HASH, LedgerEntry } from '../../src/shared/ledger.ts';
import { fillLedger, scratchLedger, sha } from './helpers.ts';

const N = 12;

function lines(path: string): string[] {
  return readFileSync(path, 'utf8').split('\n').slice(0, -1);
}
function writeLines(path: string, ls: readonly string[]): void {
  writeFileSync(path, ls.map((l) => `${l}\n`).join(''));
}

/** A changed value for each field, of the right type so only the chain can catch it. */
const EDITS: Record<keyof LedgerEntry, (e: LedgerEntry) => unknown> = {
  seq: (e) => e.seq + 1,
  time: () => '2001-01-01T00:00:00.000Z',
  kind: () => 'forged',
  runId: (e) => `${e.runId}x`,
  reportSha256: () => sha('another report'),
  metricsSha256: () => sha('other metrics'),
  prevHash: () => sha('another previous'),
  hash: () => sha('another hash'),
};

describe('ledger chain', () => {
  it(`${N} appended entries verify: seq 1..N, each prevHash the hash before, hash recomputes`, async () => {
    const path = scratchLedger();
    const entries = await fillLedger(path, N);
    const result = verifyLedger(path);
    expect(result.valid).toBe(true);
    expect(result.entries).toBe(N);
    expect(result.brokenAt).toBeUndefined();
    expect(result.lastHash).toBe(entries.at(-1)?.hash);
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: N }, (_, i) => i + 1));
    expect(entries[0]?.prevHash).toBe(GENESIS_HASH);
    for (let i = 1; i < N; i++) expect(entries[i]?.prevHash).toBe(entries[i - 1]?.hash);
    for (const e of entries) {
      const { hash, ...rest } = e;
      expect(entryHash(rest)).toBe(hash);
    }
    // The file holds exactly what appendEntry returned, one entry per line.
    expect(lines(path).map((l) => LedgerEntry.parse(JSON.parse(l)))).toEqual(entries);
  });

  it('key order in a line does not matter to the hash (canonical order), values do', async () => {
    const path = scratchLedger();
    const [entry] = await fillLedger(path, 1);
    if (!entry) throw new Error('no entry');
    const reversed = Object.fromEntries(Object.entries(entry).reverse());
    writeLines(path, [JSON.stringify(reversed)]);
    expect(verifyLedger(path).valid).toBe(true);
  });

  for (const field of Object.keys(EDITS) as (keyof LedgerEntry)[]) {
    it(`editing ${field} of line k breaks verify exactly at line k (k = 1, 5, ${N})`, async () => {
      const path = scratchLedger();
      await fillLedger(path, N);
      const original = lines(path);
      for (const k of [1, 5, N]) {
        const edited = [...original];
        const entry = LedgerEntry.parse(JSON.parse(original[k - 1] ?? ''));
        edited[k - 1] = JSON.stringify({ ...entry, [field]: EDITS[field](entry) });
        writeLines(path, edited);
        const result = verifyLedger(path);
        expect(result.valid).toBe(false);
        expect(result.brokenAt?.line).toBe(k);
        expect(result.entries).toBe(k - 1);
      }
    });
  }

  it('a line edited and rehashed still breaks the chain at the next line', async () => {
    const path = scratchLedger();
    await fillLedger(path, N);
    const edited = lines(path);
    const entry = LedgerEntry.parse(JSON.parse(edited[3] ?? ''));
    const { hash: _hash, ...rest } = { ...entry, runId: 'forged' };
    edited[3] = JSON.stringify({ ...rest, hash: entryHash(rest) });
    writeLines(path, edited);
    expect(verifyLedger(path).brokenAt?.line).toBe(5);
  });

  it('a deleted line is caught at its place', async () => {
    const path = scratchLedger();
    await fillLedger(path, N);
    for (const k of [1, 6, N - 1]) {
      const ls = lines(path);
      // Rebuild from the intact file each time.
      const kept = ls.filter((_, i) => i !== k - 1);
      const copy = scratchLedger();
      writeLines(copy, kept);
      const result = verifyLedger(copy);
      expect(result.valid).toBe(false);
      expect(result.brokenAt?.line).toBe(k);
      expect(result.brokenAt?.reason).toMatch(/seq|prevHash/);
    }
  });

  it('two swapped lines are caught at the first of them', async () => {
    const path = scratchLedger();
    await fillLedger(path, N);
    for (const [a, b] of [
      [1, 2],
      [4, 9],
      [N - 1, N],
    ] as const) {
      const ls = lines(path);
      const swapped = [...ls];
      swapped[a - 1] = ls[b - 1] ?? '';
      swapped[b - 1] = ls[a - 1] ?? '';
      const copy = scratchLedger();
      writeLines(copy, swapped);
      expect(verifyLedger(copy).brokenAt?.line).toBe(a);
    }
  });

  it('a cut-off last line is caught by verify and refused by append, naming file and line', async () => {
    const path = scratchLedger();
    await fillLedger(path, 5);
    const text = readFileSync(path, 'utf8');
    for (const cut of [1, 30, 200]) {
      writeFileSync(path, text.slice(0, text.length - cut));
      const result = verifyLedger(path);
      expect(result.valid).toBe(false);
      expect(result.brokenAt?.line).toBe(5);
      expect(result.entries).toBe(4);
      const error = await appendEntry(path, {
        kind: 'report',
        runId: 'after-cut',
        reportSha256: sha('x'),
        metricsSha256: sha('y'),
      }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(LedgerCorruptError);
      expect((error as Error).message).toContain(path);
      expect((error as Error).message).toContain('line 5');
      expect((error as Error).message).toMatch(/remove line 5/);
      // Nothing was appended.
      expect(readFileSync(path, 'utf8')).toBe(text.slice(0, text.length - cut));
    }
    // Just the newline missing: the JSON parses, but the line is still a cut-off write.
    writeFileSync(path, text.slice(0, -1));
    expect(verifyLedger(path).brokenAt?.line).toBe(5);
    // Repair as docs/ledger.md says: drop the cut-off line, then appends chain on line 4.
    writeLines(path, lines(path).slice(0, 4));
    const next = await appendEntry(path, {
      kind: 'report',
      runId: 'repaired',
      reportSha256: sha('r'),
      metricsSha256: sha('m'),
    });
    expect(next.seq).toBe(5);
    expect(verifyLedger(path)).toMatchObject({ valid: true, entries: 5 });
  });

  it('append refuses to chain onto a complete but tampered last line', async () => {
    const path = scratchLedger();
    await fillLedger(path, 3);
    const ls = lines(path);
    ls[2] = (ls[2] ?? '').replace('run-3', 'run-9');
    writeLines(path, ls);
    const error = await appendEntry(path, {
      kind: 'report',
      runId: 'x',
      reportSha256: sha('x'),
      metricsSha256: sha('y'),
    }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(LedgerCorruptError);
    expect((error as Error).message).toContain('line 3');
  });

  it('findEntry finds a report by sha256 with the chain state; a missing file is unreadable', async () => {
    const path = scratchLedger();
    const entries = await fillLedger(path, 4);
    const found = findEntry(path, sha('report 3'));
    expect(found?.entry).toEqual(entries[2]);
    expect(found?.line).toBe(3);
    expect(found?.chain.valid).toBe(true);
    expect(findEntry(path, sha('never written'))).toBeUndefined();
    expect(() => verifyLedger(`${path}.missing`)).toThrow(LedgerUnreadableError);
    expect(() => findEntry(`${path}.missing`, sha('x'))).toThrow(LedgerUnreadableError);
  });

  it('the default ledger lives in $XDG_CONFIG_HOME/nepenthe, else ~/.config/nepenthe', () => {
    expect(defaultLedgerPath({ XDG_CONFIG_HOME: '/x/conf' })).toBe('/x/conf/nepenthe/ledger.jsonl');
    expect(configDir({ HOME: '/h' })).toMatch(/\.config\/nepenthe$/);
    expect(configDir({ XDG_CONFIG_HOME: '' })).toMatch(/\.config\/nepenthe$/);
  });

  it('bad input to append is refused before anything is written', async () => {
    const path = scratchLedger();
    await expect(
      appendEntry(path, {
        kind: 'report',
        runId: 'r',
        reportSha256: 'nothex',
        metricsSha256: sha('m'),
      }),
    ).rejects.toThrow(/reportSha256/);
  });
});
