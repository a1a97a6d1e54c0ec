/**
 * `writeSignedReport`: render → sign → record in the audit ledger → publish (DESIGN.md §6).
 * The PDF is rendered and signed under a temporary name next to the output and renamed onto
 * it only once it is signed and its ledger entry is written, so a failure at any step (no
 * passphrase, a damaged ledger, a held lock) leaves neither an unsigned report nor a report
 * that the ledger does not know. The output is claimed first (tasks/output-target.ts): a
 * given `--out` must not exist; a report that appears or changes meanwhile is not overwritten.
 * A process killed mid-way (SIGKILL runs no `finally`) leaves its temporary file, named with
 * its pid; the next report into the same folder removes it.
 */
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, rmSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import type { LedgerEntry } from '../../shared/ledger.ts';
import { processAlive } from '../../worker/tasks/run-folder.ts';
import { appendEntry, defaultLedgerPath } from '../ledger/index.ts';
import { signReportFile, type SignedReport, type SignReportOptions } from '../signing/index.ts';
import { OutputTarget, TargetChanged } from '../../worker/tasks/output-target.ts';
import { loadFinishedRun } from './run-folder.ts';
import { writeReport, type RenderedReport, type ReportOptions } from './render.ts';

export interface SignedReportOptions extends ReportOptions, SignReportOptions {
  /** Default: `<runDir>/report.pdf`. */
  readonly out?: string;
  /** Default: `defaultLedgerPath()` ($XDG_CONFIG_HOME/nepenthe/ledger.jsonl). */
  readonly ledgerPath?: string;
}

export interface WrittenSignedReport {
  readonly out: string;
  readonly rendered: RenderedReport;
  readonly signed: SignedReport;
  /** The signed PDF's bytes (what `out` now holds). */
  readonly bytes: number;
  readonly reportSha256: string;
  readonly ledgerPath: string;
  readonly entry: LedgerEntry;
}

/** The short account of a signed report that `audit --json` and the app's report.sign give. */
export function signedReportSummary(written: WrittenSignedReport) {
  return {
    path: written.out,
    sha256: written.reportSha256,
    signer: written.signed.signer,
    selfSigned: written.signed.selfSigned,
    verdict: written.rendered.verdict.pass ? ('pass' as const) : ('fail' as const),
    ledger: { path: written.ledgerPath, seq: written.entry.seq, hash: written.entry.hash },
  };
}

export const sha256Hex = (data: Buffer): string => createHash('sha256').update(data).digest('hex');

/** The ledger's run id: the run folder's name (the manifest carries no id of its own). */
export const runIdOf = (runDir: string): string => basename(resolve(runDir));

export async function writeSignedReport(
  runDir: string,
  options: SignedReportOptions = {},
): Promise<WrittenSignedReport> {
  const out = options.out ?? join(runDir, 'report.pdf');
  const ledgerPath = options.ledgerPath ?? defaultLedgerPath(options.passphrases?.env);
  loadFinishedRun(runDir); // a run folder that is not one says so before the --out checks
  // A given --out must be new; the run folder's own report.pdf may be signed again.
  const target = OutputTarget.claim(out, {
    kind: 'file',
    existing: options.out === undefined ? 'replace' : 'refuse',
  });
  const temp = join(dirname(out), `.${basename(out)}.${process.pid}.unsigned`);
  removeStaleTemps(out);
  let keepTemp = false;
  try {
    const rendered = await writeReport(runDir, temp, options);
    const signed = await signReportFile(temp, options);
    const pdf = readFileSync(temp);
    const reportSha256 = sha256Hex(pdf);
    const entry = await appendEntry(ledgerPath, {
      kind: 'report',
      runId: runIdOf(runDir),
      reportSha256,
      metricsSha256: sha256Hex(readFileSync(join(runDir, 'metrics-after.json'))),
    });
    try {
      target.publish(temp);
    } catch (error) {
      if (error instanceof TargetChanged) keepTemp = true; // the signed report is there
      throw error;
    }
    return { out, rendered, signed, bytes: pdf.length, reportSha256, ledgerPath, entry };
  } finally {
    target.release();
    if (!keepTemp) rmSync(temp, { force: true });
    rmSync(`${temp}.partial`, { force: true });
  }
}

/**
 * Removes `.<out>.<pid>.unsigned` (and its `.partial`) left by report writers that are gone. A
 * live pid's file is another writer's work in progress and stays. Such a file may be signed (and
 * recorded, when the kill came between the ledger append and the rename) but was never
 * published, so nothing refers to it; its ledger entry then stands for a report that was lost.
 */
export function removeStaleTemps(out: string): string[] {
  const folder = dirname(out);
  const pattern = new RegExp(
    `^\\.${escapeRegExp(basename(out))}\\.(\\d+)\\.unsigned(\\.partial)?$`,
  );
  let names: string[];
  try {
    names = readdirSync(folder);
  } catch {
    return []; // no folder yet: nothing stale, and the render says what is wrong with it
  }
  const removed: string[] = [];
  for (const name of names) {
    const pid = Number(pattern.exec(name)?.[1]);
    if (!Number.isInteger(pid) || pid === process.pid || processAlive(pid)) continue;
    rmSync(join(folder, name), { force: true });
    removed.push(join(folder, name));
  }
  return removed;
}

const escapeRegExp = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
