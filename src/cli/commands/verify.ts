import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { isUserInputError, UserInputError } from '../../shared/errors.ts';
import { VerifiedReport, type LedgerCheck } from '../../shared/report.ts';
import { VerifyReport } from '../../shared/signing.ts';
import { defaultLedgerPath } from '../../main/ledger/index.ts';
import { checkLedger } from '../../main/report/ledger-check.ts';
import { readReportPdf } from '../../main/signing/read-pdf.ts';
import { verifyPdf } from '../../main/signing/verify.ts';
import type { Command } from '../command.ts';

/** An invalid report: printed in full on stdout, then this makes the CLI exit 1. */
class ReportInvalidError extends Error {
  override readonly name = 'ReportInvalidError';
}

export const verify: Command = {
  name: 'verify',
  usage: 'verify <pdf> [--ledger <path>]',
  summary:
    'check a signed report: signature over every byte, signer (self-signed or chain), time, attachments, its audit ledger entry',
  options: { ledger: { type: 'string' } },
  positionals: 1,
  async run({ positionals, values, print }) {
    const path = positionals[0]!;
    if (!existsSync(path) || !statSync(path).isFile()) {
      throw new UserInputError(path, 'no such file');
    }
    const pdf = readReportPdf(path);
    let signature: VerifyReport;
    try {
      signature = VerifyReport.parse(verifyPdf(pdf));
    } catch (error) {
      if (isUserInputError(error)) throw new UserInputError(path, error.message);
      throw error;
    }
    const sha256 = createHash('sha256').update(pdf).digest('hex');
    const ledgerPath = typeof values.ledger === 'string' ? values.ledger : defaultLedgerPath();
    const ledger = checkLedger(ledgerPath, sha256, signature.attachments);
    const report = VerifiedReport.parse({ ...signature, sha256, ledger });
    print(report, `${describe(report)}\n${describeLedger(ledger)}`);
    if (!report.valid) throw new ReportInvalidError(`${path}: INVALID: ${report.reason}`);
    if (ledger.failure) throw new ReportInvalidError(`${path}: INVALID: ${ledger.failure}`);
  },
};

function describeLedger(ledger: LedgerCheck): string {
  if (!ledger.present)
    return `ledger       none at ${ledger.path}: the ledger entry was not checked (--ledger <path>)`;
  const chain = ledger.chainValid
    ? 'chain intact'
    : `chain BROKEN at line ${ledger.brokenAt?.line}: ${ledger.brokenAt?.reason}`;
  if (!ledger.found) return `ledger       ${ledger.path}: report NOT recorded; ${chain}`;
  const metrics =
    ledger.metricsMatch === null
      ? 'no metrics-after.json attached'
      : ledger.metricsMatch
        ? 'metrics-after.json matches'
        : 'metrics-after.json does NOT match';
  return `ledger       ${ledger.path}: entry seq ${ledger.seq}; ${chain}; ${metrics}`;
}

function describe(report: VerifyReport): string {
  const lines = [
    report.valid ? 'signature    valid' : `signature    INVALID: ${report.reason}`,
    `signer       ${report.signer ?? 'unknown'}`,
    `certificate  ${
      report.selfSigned === null
        ? 'unknown'
        : report.selfSigned
          ? 'self-signed (identity not vouched for by any authority)'
          : `chain: ${report.chain.join(' <- ')}`
    }`,
    `signed at    ${report.signedAt ?? 'unknown'}`,
  ];
  if (report.signatureReason) lines.push(`reason       ${report.signatureReason}`);
  for (const a of report.attachments) {
    lines.push(
      `attachment   ${a.name}  ${a.size} B  sha256 ${a.sha256}  ${a.matches ? 'signed' : 'NOT COVERED'}`,
    );
  }
  if (report.attachments.length === 0) lines.push('attachments  none');
  return lines.join('\n');
}
