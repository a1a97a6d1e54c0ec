import { LedgerVerifyReport } from '../../shared/ledger.ts';
import { UserInputError } from '../../shared/errors.ts';
import { defaultLedgerPath, verifyLedger } from '../../main/ledger/index.ts';
import type { Command } from '../command.ts';

/** The chain is broken: exit code 1 (anything but a UserInputError), after the --json report. */
class LedgerBrokenError extends Error {
  override readonly name = 'LedgerBrokenError';
}

export const ledger: Command = {
  name: 'ledger',
  usage: 'ledger verify [--ledger <path>]',
  summary:
    'walk the audit ledger hash chain: exit 0 intact, 1 broken (line and reason), 2 missing or unreadable',
  options: {
    ledger: { type: 'string' },
  },
  positionals: 1,
  async run({ positionals, values, global, print }) {
    const action = positionals[0];
    if (action !== 'verify')
      throw new UserInputError(undefined, `unknown ledger action "${action}"; known: verify`);
    const path = typeof values.ledger === 'string' ? values.ledger : defaultLedgerPath();
    const { entryList: _entries, ...verification } = verifyLedger(path);
    const report = LedgerVerifyReport.parse({ ledger: path, ...verification });
    if (report.brokenAt) {
      const { line, reason } = report.brokenAt;
      if (global.json) print(report, '');
      throw new LedgerBrokenError(
        `${path}: chain broken at line ${line}: ${reason} (${report.entries} entries before it verify)`,
      );
    }
    print(
      report,
      `${path}: intact, ${report.entries} entries, last hash ${report.lastHash ?? '(none: empty ledger)'}`,
    );
  },
};
