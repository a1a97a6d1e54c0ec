/**
 * `shell.openFolder` hands a path to Electron's `shell.openPath`, which opens a folder but
 * launches a file: a compromised renderer naming /bin/sh or a planted script would run it. Only
 * run folders and report files the app created are opened; everything else is `bad-input`
 * (or `not-found`) and never reaches the shell.
 */
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppBackend } from '../../src/main/app-backend.ts';
import { memorySecretStore } from '../../src/main/secrets.ts';
import { createAppBackend } from '../../src/main/services/index.ts';

let root: string;
let workspace: string;
let backend: AppBackend;
const opened: string[] = [];
const RUN = 'run-20261203-101500-abcd';

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'nepenthe-open-folder-'));
  workspace = join(root, 'workspace');
  const runDir = join(workspace, RUN);
  mkdirSync(runDir, { recursive: true });
  writeFileSync(join(runDir, 'manifest.json'), '{}');
  writeFileSync(join(runDir, 'report.pdf'), '%PDF-1.7\n');
  writeFileSync(join(root, 'evil.sh'), '#!/bin/sh\necho owned\n', { mode: 0o755 });
  symlinkSync(join(root, 'evil.sh'), join(runDir, 'notes.pdf'));
  mkdirSync(join(workspace, 'uploads', 'x'), { recursive: true });
  writeFileSync(join(workspace, 'uploads', 'x', 'report.pdf'), 'not a run');
  // A link in the workspace dressed up as a run folder.
  mkdirSync(join(root, 'elsewhere'));
  writeFileSync(join(root, 'elsewhere', 'manifest.json'), '{}');
  symlinkSync(join(root, 'elsewhere'), join(workspace, 'run-20261203-101500-ffff'));
  backend = await createAppBackend({
    transport: 'electron',
    secrets: memorySecretStore(),
    env: { ...process.env, HOME: root, XDG_CONFIG_HOME: join(root, 'config') },
    workspace,
    configDir: join(root, 'config'),
    shell: { openFolder: async (path) => (opened.push(path), true) },
  });
});
afterAll(async () => {
  await backend.dispose();
  rmSync(root, { recursive: true, force: true });
});

async function open(path: string) {
  return (await backend.call('shell.openFolder', { path })) as
    | { ok: true; value: { opened: boolean; path: string } }
    | { ok: false; error: { code: string; message: string } };
}

describe('shell.openFolder', () => {
  it('refuses any other file or folder, without calling the shell', async () => {
    for (const path of [
      '/bin/sh',
      join(root, 'evil.sh'),
      root,
      workspace,
      join(workspace, RUN, 'manifest.json'),
      join(workspace, RUN, 'notes.pdf'), // a link out of the run folder
      join(workspace, 'uploads', 'x', 'report.pdf'),
      join(workspace, 'run-20261203-101500-ffff'),
    ]) {
      const result = await open(path);
      expect(result.ok, path).toBe(false);
      if (!result.ok) {
        expect(result.error.code, path).toBe('bad-input');
        expect(result.error.message).toContain('only those can be opened');
      }
    }
    const missing = await open(join(root, 'nope'));
    expect(!missing.ok && missing.error.code).toBe('not-found');
    expect(opened).toEqual([]);
  });

  it('opens a run folder, its report, and a report exported by the app', async () => {
    const runDir = join(workspace, RUN);
    expect(await open(runDir)).toEqual({ ok: true, value: { opened: true, path: runDir } });
    const report = join(runDir, 'report.pdf');
    expect(await open(report)).toMatchObject({ ok: true, value: { path: report } });
    const dest = join(root, 'exported.pdf');
    expect(await open(join(root, 'exported.pdf'))).toMatchObject({ ok: false });
    const exported = await backend.call('report.export', { runId: RUN, dest });
    expect(exported).toMatchObject({ ok: true, value: { path: dest } });
    expect(await open(dest)).toMatchObject({ ok: true, value: { path: dest } });
    expect(opened).toEqual([runDir, report, dest]);
  });
});
