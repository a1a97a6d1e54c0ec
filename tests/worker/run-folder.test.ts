/**
 * The manifest's input fingerprint of a document folder hashes the regular files the readers
 * can read, and never opens a FIFO (which would block the audit forever) or follows into one.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { fileRecord } from '../../src/worker/tasks/run-folder.ts';

let dir: string;
let outside: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nepenthe-record-'));
  outside = mkdtempSync(join(tmpdir(), 'nepenthe-outside-'));
});
afterEach(() => {
  rmSync(dir, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

it('hashes regular files and links to them, skipping a FIFO', { timeout: 10_000 }, async () => {
  writeFileSync(join(dir, 'a.txt'), 'Ada\n');
  writeFileSync(join(outside, 'person.txt'), 'Grace\n');
  symlinkSync(join(outside, 'person.txt'), join(dir, 'b.txt'));
  execFileSync('mkfifo', [join(dir, 'c.sock')]);
  const record = await Promise.race([
    fileRecord(dir),
    new Promise<never>((_, reject) =>
      setTimeout(() => reject(new Error('fileRecord blocked on the FIFO')), 5000),
    ),
  ]);
  expect(record.bytes).toBe(10);
  expect(record.sha256).toBe(createHash('sha256').update('Ada\nGrace\n').digest('hex'));
});
