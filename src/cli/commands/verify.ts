import { existsSync, readFileSync, statSync } from 'node:fs';
import { isUserInputError, UserInputError } from '../../shared/errors.ts';
import { VerifyReport } from '../../shared/signing.ts';
import { verifyPdf } from '../../main/signing/verify.ts';
import type { Command } from '../command.ts';

/** An invalid report: printed in full on stdout, then this makes the CLI exit 1. */
class ReportInvalidError extends Error {
  override readonly name = 'ReportInvalidError';
}

export const verify: Command = {
  name: 'verify',
  usage: 'verify <pdf>',
  summary:
    'check a signed report: signature over every byte, signer (self-signed or chain), time, attachments',
  options: {},
  positionals: 1,
  async run({ positionals, print }) {
    const path = positionals[0]!;
    if (!existsSync(path) || !statSync(path).isFile()) {
      throw new UserInputError(path, 'no such file');
    }
    let report: VerifyReport;
    try {
      report = VerifyReport.parse(verifyPdf(readFileSync(path)));
    } catch (error) {
      if (isUserInputError(error)) throw new UserInputError(path, error.message);
      throw error;
    }
    print(report, describe(report));
    if (!report.valid) throw new ReportInvalidError(`${path}: INVALID: ${report.reason}`);
  },
};

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
