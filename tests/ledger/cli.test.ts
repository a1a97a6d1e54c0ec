/** `nepenthe ledger verify` through the real CLI: exit 0 intact, 1 broken, 2 missing. */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { LedgerVerifyReport } from '../../src/shared/ledger.ts';
import { runCli } from '../cli/run-cli.ts';
import { fillLedger, scratchLedger } from './helpers.ts';

describe('nepenthe ledger verify', () => {
  it('exit 0 on an intact ledger, with the entry count and last hash', async () => {
    const path = scratchLedger();
    const entries = await fillLedger(path, 5);
    const last = entries.at(-1)?.hash ?? '';
    const human = await runCli(['ledger', 'verify', '--ledger', path]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toContain('5 entries');
    expect(human.stdout).toContain(last);
    const json = await runCli(['ledger', 'verify', '--ledger', path, '--json']);
    expect(json.code).toBe(0);
    expect(LedgerVerifyReport.parse(JSON.parse(json.stdout))).toEqual({
      ledger: path,
      valid: true,
      entries: 5,
      lastHash: last,
    });
  }, 60_000);

  it('exit 1 on a broken chain, naming the line and reason', async () => {
    const path = scratchLedger();
    await fillLedger(path, 5);
    const ls = readFileSync(path, 'utf8').split('\n');
    ls[2] = (ls[2] ?? '').replace('run-3', 'run-X');
    writeFileSync(path, ls.join('\n'));
    const human = await runCli(['ledger', 'verify', '--ledger', path]);
    expect(human.code).toBe(1);
    expect(human.stderr).toContain('line 3');
    expect(human.stderr).toContain('hash');
    const json = await runCli(['ledger', 'verify', '--ledger', path, '--json']);
    expect(json.code).toBe(1);
    const report = LedgerVerifyReport.parse(JSON.parse(json.stdout));
    expect(report).toMatchObject({ valid: false, entries: 2, brokenAt: { line: 3 } });
  }, 60_000);

  it('exit 2 on a missing ledger or an unknown action; the default path is under XDG_CONFIG_HOME', async () => {
    const path = scratchLedger();
    const missing = await runCli(['ledger', 'verify', '--ledger', path]);
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain(path);
    const byDefault = await runCli(['ledger', 'verify'], { XDG_CONFIG_HOME: `${path}.conf` });
    expect(byDefault.code).toBe(2);
    expect(byDefault.stderr).toContain(`${path}.conf/nepenthe/ledger.jsonl`);
    const unknown = await runCli(['ledger', 'frobnicate', '--ledger', path]);
    expect(unknown.code).toBe(2);
  }, 60_000);
});
