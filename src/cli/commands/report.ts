/**
 * `nepenthe report <run-dir> [--out <pdf>] [--sign <p12>] [--ledger <path>]`: renders the PDF
 * audit report of a finished run, signs it (your PKCS#12, or the default identity) and records
 * it in the audit ledger (docs/report.md). No worker: the report only reads the run folder's
 * JSON and model headers. Without a passphrase and a terminal it stops with exit 2 and writes
 * nothing.
 */
import { writeSignedReport } from '../../main/report/signed.ts';
import { assertCanSign } from '../../main/signing/index.ts';
import { SignedReportResult } from '../../shared/report.ts';
import type { Command } from '../command.ts';

export const report: Command = {
  name: 'report',
  usage: 'report <run-dir> [--out <pdf>] [--sign <p12>] [--ledger <path>]',
  summary:
    'the signed PDF audit report of a finished run folder (default <run-dir>/report.pdf), recorded in the audit ledger',
  options: { out: { type: 'string' }, sign: { type: 'string' }, ledger: { type: 'string' } },
  positionals: 1,
  async run({ positionals, values, print }) {
    const runDir = positionals[0]!;
    const text = (name: string) =>
      typeof values[name] === 'string' ? (values[name] as string) : undefined;
    const started = performance.now();
    // A bad --sign (missing, a folder, no PKCS#12, wrong passphrase, expired) exits 2 before rendering.
    assertCanSign({ sign: text('sign') });
    const written = await writeSignedReport(runDir, {
      out: text('out'),
      sign: text('sign'),
      ledgerPath: text('ledger'),
    });
    const seconds = (performance.now() - started) / 1000;
    const { rendered, signed, entry } = written;
    const result = SignedReportResult.parse({
      out: written.out,
      pages: rendered.pages,
      bytes: written.bytes,
      verdict: rendered.verdict.pass ? 'pass' : 'fail',
      signer: signed.signer,
      selfSigned: signed.selfSigned,
      identity: signed.identityPath,
      createdIdentity: signed.createdIdentity,
      signedAt: signed.signedAt.toISOString(),
      reportSha256: written.reportSha256,
      ledger: {
        path: written.ledgerPath,
        seq: entry.seq,
        hash: entry.hash,
        runId: entry.runId,
        metricsSha256: entry.metricsSha256,
      },
      seconds,
    } satisfies SignedReportResult);
    print(
      result,
      [
        `report  ${result.out}`,
        `pages   ${result.pages}`,
        `verdict ${result.verdict.toUpperCase()}`,
        `signer  ${result.signer}${result.selfSigned ? ' (self-signed)' : ''}${result.createdIdentity ? `, identity created: ${result.identity}` : ''}`,
        `sha256  ${result.reportSha256}`,
        `ledger  ${result.ledger.path}  seq ${result.ledger.seq}  hash ${result.ledger.hash}`,
        `time    ${seconds.toFixed(2)} s`,
      ].join('\n'),
    );
  },
};
