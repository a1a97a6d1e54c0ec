/**
 * DESIGN.md §9 "Offline: no code path opens a network connection (tests prove it)": a whole
 * `nepenthe audit` on the testbed — the CLI, the worker it spawns, eval before, unlearning, eval
 * after, the signed report and its ledger entry — runs with every way of opening a connection trapped (net, tls, http, https, dns,
 * dgram, fetch, WebSocket; tests/helpers/no-network.mjs, loaded into every process through
 * NODE_OPTIONS). An attempt throws and is logged; the test requires an empty log. A control run
 * shows the trap reaches child processes and records attempts, so the test can fail.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawn } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from './run-cli.ts';

const TRAP = fileURLToPath(new URL('../helpers/no-network.mjs', import.meta.url));
const testbed = (p: string) =>
  fileURLToPath(new URL(`../../resources/testbed/${p}`, import.meta.url));

const dir = mkdtempSync(join(tmpdir(), 'nepenthe-offline-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const trapped = (log: string) => ({
  NODE_OPTIONS: `${process.env.NODE_OPTIONS ?? ''} --import=${TRAP}`.trim(),
  NEPENTHE_NETWORK_TRAP_LOG: log,
  // The audit ends with a signed report: default identity and ledger in the scratch folder.
  NEPENTHE_KEY_PASSPHRASE: 'offline test passphrase',
  XDG_CONFIG_HOME: join(dir, 'xdg'),
});

describe('offline', () => {
  it('control: the trap reaches a grandchild process and records its attempts', async () => {
    const log = join(dir, 'control.log');
    const script = `
      const { fork } = require('node:child_process');
      if (process.argv[2] === 'child') {
        try { require('node:net').connect(9, '127.0.0.1'); } catch {}
        try { require('node:dns').lookup('example.org', () => {}); } catch {}
        try { fetch('http://127.0.0.1:9/'); } catch {}
      } else {
        fork(__filename, ['child']).on('exit', () => {});
      }`;
    const file = join(dir, 'control.cjs');
    writeFileSync(file, script);
    await new Promise<void>((resolve) =>
      spawn(process.execPath, [file], { env: { ...process.env, ...trapped(log) } }).on(
        'close',
        () => resolve(),
      ),
    );
    const attempts = readFileSync(log, 'utf8');
    expect(attempts).toMatch(/net\.connect/);
    expect(attempts).toMatch(/dns\.lookup/);
    expect(attempts).toMatch(/fetch/);
  });

  it('a whole audit on the testbed opens no connection', async () => {
    const log = join(dir, 'audit.log');
    const config = join(dir, 'config.json');
    writeFileSync(config, JSON.stringify({ lr: 1e-3, epochs: 1, batchSize: 4, maxLength: 128 }));
    const run = join(dir, 'run');
    const { code, stderr } = await runCli(
      [
        'audit',
        '--model',
        testbed('model'),
        '--forget',
        testbed('corpus/forget01.jsonl'),
        '--retain',
        testbed('corpus/forget05.jsonl'),
        '--holdout',
        testbed('corpus/holdout.jsonl'),
        '--reference',
        testbed('reference'),
        '--method',
        'graddiff',
        '--config',
        config,
        '--out',
        run,
        '--backend',
        'wasm',
      ],
      trapped(log),
    );
    expect(code, stderr).toBe(0);
    expect(existsSync(join(run, 'metrics-after.json'))).toBe(true);
    expect(existsSync(join(run, 'report.pdf'))).toBe(true);
    expect(existsSync(log) ? readFileSync(log, 'utf8') : '').toBe('');
  }, 300_000);
});
