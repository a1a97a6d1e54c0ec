/**
 * A finished run folder for the report tests: a tiny graddiff audit of the testbed through the
 * real CLI (forget01, five retain people, holdout; optionally the reference and listed names),
 * signing its own report with an identity and ledger apart from the ones a test checks.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { runCli } from '../cli/run-cli.ts';

export const testbed = (p: string) =>
  fileURLToPath(new URL(`../../resources/testbed/${p}`, import.meta.url));

export interface TestbedRunOptions {
  /** Pass the testbed's reference model (for privLeak and forgetQuality). */
  readonly reference?: boolean;
  /** `--names` for the PII probes. */
  readonly names?: string;
}

/** Runs the audit into `<scratch>/run` and returns that folder. */
export async function auditTestbed(
  scratch: string,
  options: TestbedRunOptions = {},
): Promise<string> {
  const run = join(scratch, 'run');
  const retain = join(scratch, 'retain.jsonl');
  writeFileSync(
    retain,
    readFileSync(testbed('corpus/retain.jsonl'), 'utf8').split('\n').slice(0, 5).join('\n') + '\n',
  );
  const config = join(scratch, 'config.json');
  writeFileSync(config, JSON.stringify({ lr: 1e-3, epochs: 2, batchSize: 4, maxLength: 128 }));
  const audit = await runCli(
    [
      'audit',
      '--model',
      testbed('model'),
      '--forget',
      testbed('corpus/forget01.jsonl'),
      '--retain',
      retain,
      '--holdout',
      testbed('corpus/holdout.jsonl'),
      ...(options.reference ? ['--reference', testbed('reference')] : []),
      ...(options.names === undefined ? [] : ['--names', options.names]),
      '--method',
      'graddiff',
      '--config',
      config,
      '--out',
      run,
      '--backend',
      'wasm',
      '--seed',
      '1',
    ],
    { NEPENTHE_KEY_PASSPHRASE: 'audit passphrase', XDG_CONFIG_HOME: join(scratch, 'audit-xdg') },
  );
  expect(audit.code, audit.stderr).toBe(0);
  return run;
}
