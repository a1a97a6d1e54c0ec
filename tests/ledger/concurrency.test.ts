/**
 * The lock file: four processes appending at once still make one unbroken chain, seq 1..100;
 * a lock left by a dead process is taken over; a live holder is waited for, then reported.
 */
import { spawn } from 'node:child_process';
import { existsSync, readFileSync, utimesSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { appendEntry, LedgerLockTimeoutError, verifyLedger } from '../../src/main/ledger/index.ts';
import { LedgerEntry } from '../../src/shared/ledger.ts';
import { fillLedger, scratchLedger, sha } from './helpers.ts';

const CHILD = fileURLToPath(new URL('./append-child.ts', import.meta.url));

function run(
  args: readonly string[],
): Promise<{ code: number | null; stderr: string; pid: number }> {
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stderr, pid: child.pid ?? -1 }));
  });
}

const request = (runId: string) => ({
  kind: 'report',
  runId,
  reportSha256: sha(`r ${runId}`),
  metricsSha256: sha(`m ${runId}`),
});

describe('ledger lock', () => {
  it('4 processes appending 25 entries each at once: 100 entries, seq 1..100, chain intact', async () => {
    const path = scratchLedger();
    const tags = ['a', 'b', 'c', 'd'];
    const children = Promise.all(
      tags.map((tag) => run(['--import', 'tsx', CHILD, path, '25', tag])),
    );
    // Start them together: wait until every child is up, then let them all go at once.
    while (!tags.every((tag) => existsSync(`${path}.ready-${tag}`))) await sleep(10);
    writeFileSync(`${path}.go`, '');
    const results = await children;
    for (const r of results) expect(r.code, r.stderr).toBe(0);
    const result = verifyLedger(path);
    expect(result).toMatchObject({ valid: true, entries: 100 });
    const entries = readFileSync(path, 'utf8')
      .trimEnd()
      .split('\n')
      .map((l) => LedgerEntry.parse(JSON.parse(l)));
    expect(entries.map((e) => e.seq)).toEqual(Array.from({ length: 100 }, (_, i) => i + 1));
    // Every process's every append is there once.
    expect(new Set(entries.map((e) => e.runId)).size).toBe(100);
    for (const tag of ['a', 'b', 'c', 'd'])
      expect(entries.filter((e) => e.runId.startsWith(`${tag}-`))).toHaveLength(25);
    expect(existsSync(`${path}.lock`)).toBe(false);
    // They really did append at the same time: the processes' entries interleave.
    const switches = entries.filter((e, i) => i > 0 && e.runId[0] !== entries[i - 1]?.runId[0]);
    expect(switches.length).toBeGreaterThan(3);
  }, 60_000);

  it('concurrent appends within one process also chain one after another', async () => {
    const path = scratchLedger();
    await Promise.all(Array.from({ length: 20 }, (_, i) => appendEntry(path, request(`p${i}`))));
    expect(verifyLedger(path)).toMatchObject({ valid: true, entries: 20 });
  });

  it('a lock held by a dead pid is taken over', async () => {
    const path = scratchLedger();
    await fillLedger(path, 2);
    const dead = await run(['-e', '']); // has exited by the time close fires
    writeFileSync(`${path}.lock`, `${dead.pid}\n`);
    const start = Date.now();
    const entry = await appendEntry(path, request('after-stale'), { timeoutMs: 5_000 });
    expect(Date.now() - start).toBeLessThan(2_000);
    expect(entry.seq).toBe(3);
    expect(verifyLedger(path)).toMatchObject({ valid: true, entries: 3 });
    expect(existsSync(`${path}.lock`)).toBe(false);
  });

  it('an old lock with no pid in it (creator died mid-write) is taken over', async () => {
    const path = scratchLedger();
    writeFileSync(`${path}.lock`, '');
    const old = new Date(Date.now() - 60_000);
    utimesSync(`${path}.lock`, old, old);
    const entry = await appendEntry(path, request('after-empty'), { timeoutMs: 5_000 });
    expect(entry.seq).toBe(1);
  });

  it('a lock held by a live process is waited for, then reported with its pid and file', async () => {
    const path = scratchLedger();
    writeFileSync(`${path}.lock`, `${process.ppid}\n`); // alive: the process that started vitest
    const error = await appendEntry(path, request('blocked'), { timeoutMs: 300 }).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(LedgerLockTimeoutError);
    expect((error as Error).message).toContain(`${path}.lock`);
    expect((error as Error).message).toContain(`pid ${process.ppid}`);
    expect(existsSync(path)).toBe(false);
    // The lock is the holder's: the waiter leaves it alone.
    expect(readFileSync(`${path}.lock`, 'utf8')).toBe(`${process.ppid}\n`);
  });
});
