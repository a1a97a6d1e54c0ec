/**
 * `nepenthe report` end to end on a real run folder (a tiny graddiff audit of the testbed, as in
 * render.test.ts): the report is signed with the default identity (pdfsig: "Signature is
 * Valid") and recorded in the audit ledger; `nepenthe verify` finds the entry in an intact
 * chain; a flipped byte in the signed ranges, or an edited ledger entry, makes verify exit 1
 * (and `ledger verify` names the line); with no passphrase and no terminal, report exits 2
 * and writes neither a PDF nor a ledger entry; an existing or unwritable --out is refused
 * before anything is signed; signing leaves the text (metric values) as is.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { formatValue } from '../../src/main/report/format.ts';
import { flatten } from '../../src/main/report/metric-rows.ts';
import { EvalReport } from '../../src/shared/contracts.ts';
import { LedgerEntry } from '../../src/shared/ledger.ts';
import { SignedReportResult, VerifiedReport } from '../../src/shared/report.ts';
import { runCli } from '../cli/run-cli.ts';
import { auditTestbed } from './testbed-run.ts';
import { pdfsig, seeded } from '../signing/helpers.ts';

const scratch = mkdtempSync(join(tmpdir(), 'nepenthe-signed-report-'));
const RUN = join(scratch, 'run');
const XDG = join(scratch, 'xdg');
const LEDGER = join(XDG, 'nepenthe', 'ledger.jsonl');
const ENV = { NEPENTHE_KEY_PASSPHRASE: 'signed report test', XDG_CONFIG_HOME: XDG };
const PDF = join(RUN, 'report.pdf');
let result: SignedReportResult;

beforeAll(async () => {
  await auditTestbed(scratch, {});
  const report = await runCli(['report', RUN, '--json'], ENV);
  expect(report.code, report.stderr).toBe(0);
  result = SignedReportResult.parse(JSON.parse(report.stdout));
}, 240_000);

afterAll(() => rmSync(scratch, { recursive: true, force: true }));

const sha256 = (data: Buffer) => createHash('sha256').update(data).digest('hex');

async function verify(pdf: string, ...extra: string[]) {
  const run = await runCli(['verify', pdf, '--json', ...extra], ENV);
  return { ...run, report: run.stdout ? VerifiedReport.parse(JSON.parse(run.stdout)) : undefined };
}

describe('nepenthe report (signed, recorded)', () => {
  it('signs with the default identity and records the signed PDF in the ledger', async () => {
    expect(result.out).toBe(PDF);
    expect(result.selfSigned).toBe(true);
    expect(result.createdIdentity).toBe(true);
    expect(result.signer).toMatch(/^Nepenthe signer/);
    expect(await pdfsig(PDF)).toContain('Signature is Valid');
    const pdf = readFileSync(PDF);
    expect(result.reportSha256).toBe(sha256(pdf));
    const lines = readFileSync(LEDGER, 'utf8').trim().split('\n');
    expect(lines).toHaveLength(1);
    const entry = LedgerEntry.parse(JSON.parse(lines[0]!));
    expect(entry).toMatchObject({
      seq: 1,
      kind: 'report',
      runId: 'run',
      reportSha256: sha256(pdf),
      metricsSha256: sha256(readFileSync(join(RUN, 'metrics-after.json'))),
      hash: result.ledger.hash,
    });
    // Nothing left behind under a temporary name.
    expect(readdirSync(RUN).filter((f) => f.startsWith('.') || f.includes('partial'))).toEqual([]);
  });

  it('keeps the content: pdftotext shows every metric value of metrics-after.json', () => {
    const text = execFileSync('pdftotext', ['-layout', PDF, '-'], { encoding: 'utf8' });
    const after = EvalReport.parse(
      JSON.parse(readFileSync(join(RUN, 'metrics-after.json'), 'utf8')),
    );
    const lines = text.split('\n');
    for (const [name, value] of flatten(after)) {
      // The metric's row (the bar chart's axis labels carry some names too, without values).
      const rows = lines.filter((l) => l.trim().split(/\s+/)[0] === name);
      expect(
        rows.some((l) => l.split(/\s+/).includes(formatValue(value))),
        `${name}: ${formatValue(value)}`,
      ).toBe(true);
    }
  });

  it('verify: exit 0, signature valid, ledger entry found in an intact chain', async () => {
    const ok = await verify(PDF);
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.report).toMatchObject({
      valid: true,
      ledger: { present: true, found: true, seq: 1, chainValid: true, metricsMatch: true },
    });
    const human = await runCli(['verify', PDF, '--ledger', LEDGER]);
    expect(human.code, human.stderr).toBe(0);
    expect(human.stdout).toMatch(/ledger .*entry seq 1; chain intact; metrics-after.json matches/);
  }, 60_000);

  it('verify: no ledger file is said, not failed', async () => {
    const ok = await verify(PDF, '--ledger', join(scratch, 'nowhere.jsonl'));
    expect(ok.code, ok.stderr).toBe(0);
    expect(ok.report?.ledger).toMatchObject({ present: false, found: false, chainValid: null });
  }, 60_000);

  it('verify: a flipped byte inside the signed ranges exits 1', async () => {
    const pdf = readFileSync(PDF);
    const m = [
      ...pdf.toString('latin1').matchAll(/\/ByteRange\s*\[\s*0\s+(\d+)\s+(\d+)\s+(\d+)/g),
    ].at(-1)!;
    const [a, b, c] = [Number(m[1]), Number(m[2]), Number(m[3])];
    expect(b + c).toBe(pdf.length);
    const random = seeded(6);
    for (let i = 0; i < 4; i++) {
      const inFirst = i % 2 === 0;
      // Past the header: a damaged "%PDF-" is "not a PDF" (exit 2), not tampering.
      const offset = inFirst ? 16 + Math.floor(random() * (a - 16)) : b + Math.floor(random() * c);
      const tampered = Buffer.from(pdf);
      tampered[offset] = tampered[offset]! ^ 0xff;
      const path = join(scratch, `tampered-${i}.pdf`);
      writeFileSync(path, tampered);
      const bad = await verify(path);
      expect(bad.code, `offset ${offset}: ${bad.stderr}`).toBe(1);
      expect(bad.report?.valid, `offset ${offset}`).toBe(false);
    }
  }, 120_000);

  it('an edited ledger entry: ledger verify exits 1 at that line, and verify exits 1', async () => {
    const copy = join(scratch, 'edited.jsonl');
    const line = readFileSync(LEDGER, 'utf8');
    const entry = LedgerEntry.parse(JSON.parse(line));
    writeFileSync(copy, line.replace(entry.metricsSha256, 'f'.repeat(64)));
    const chain = await runCli(['ledger', 'verify', '--ledger', copy]);
    expect(chain.code).toBe(1);
    expect(chain.stderr).toContain('chain broken at line 1');
    const bad = await verify(PDF, '--ledger', copy);
    expect(bad.code).toBe(1);
    expect(bad.report).toMatchObject({
      valid: true,
      ledger: { found: true, seq: 1, chainValid: false, metricsMatch: false },
    });
    expect(bad.report?.ledger.brokenAt?.line).toBe(1);
    expect(bad.stderr).toContain('broken chain');
  }, 60_000);

  it('--out: an existing file or an unwritable place is refused before signing (docs/outputs.md)', async () => {
    const ledger = join(scratch, 'outputs.jsonl');
    const mine = join(scratch, 'mine.pdf');
    writeFileSync(mine, 'a file of the user');
    const before = readdirSync(scratch);
    for (const [out, message] of [
      [mine, /already exists; choose another --out/],
      ['/proc/nepenthe-report.pdf', /cannot write in \/proc/],
    ] as const) {
      const run = await runCli(['report', RUN, '--out', out, '--ledger', ledger], ENV, 30_000);
      expect(run.code, run.stderr).toBe(2);
      expect(run.stderr.trim().split('\n'), run.stderr).toHaveLength(1);
      expect(run.stderr).toContain(out);
      expect(run.stderr).toMatch(message);
    }
    expect(readFileSync(mine, 'utf8')).toBe('a file of the user');
    expect(existsSync(ledger)).toBe(false); // nothing was signed or recorded
    expect(readdirSync(scratch).sort()).toEqual(before.sort());
  }, 90_000);

  it('no passphrase and no terminal: exit 2, no report.pdf, no ledger entry', async () => {
    const xdg = join(scratch, 'xdg-empty');
    const out = join(scratch, 'unsigned.pdf');
    const ledger = join(scratch, 'unsigned.jsonl');
    const before = readdirSync(RUN);
    const run = await runCli(['report', RUN, '--ledger', ledger], {
      NEPENTHE_KEY_PASSPHRASE: '',
      XDG_CONFIG_HOME: xdg,
    });
    expect(run.code).toBe(2);
    expect(run.stderr).toContain('NEPENTHE_KEY_PASSPHRASE');
    expect(readdirSync(RUN)).toEqual(before);
    expect(existsSync(ledger)).toBe(false);
    expect(existsSync(xdg)).toBe(false);
    const other = await runCli(['report', RUN, '--out', out, '--ledger', ledger], {
      NEPENTHE_KEY_PASSPHRASE: '',
      XDG_CONFIG_HOME: xdg,
    });
    expect(other.code).toBe(2);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(ledger)).toBe(false);
  }, 60_000);

  it('a report killed mid-way left its signed temp file: the next report removes it', async () => {
    // SIGKILL runs no cleanup: what a killed `report` leaves is its pid-named temp file (and
    // the signer's .partial). A live process's temp file is another report in progress.
    const dead = spawnSync('true').pid;
    const out = join(scratch, 'again.pdf');
    const stale = [
      join(scratch, `.again.pdf.${dead}.unsigned`),
      join(scratch, `.again.pdf.${dead}.unsigned.partial`),
    ];
    const live = join(scratch, `.again.pdf.${process.pid}.unsigned`);
    for (const file of [...stale, live]) writeFileSync(file, '%PDF-1.7 signed, never published');
    const run = await runCli(
      ['report', RUN, '--out', out, '--ledger', join(scratch, 'again.jsonl')],
      ENV,
    );
    expect(run.code, run.stderr).toBe(0);
    expect(await pdfsig(out)).toContain('Signature is Valid');
    for (const file of stale) expect(existsSync(file), file).toBe(false);
    expect(existsSync(live)).toBe(true);
  }, 60_000);
});
