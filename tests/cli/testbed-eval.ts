/**
 * `nepenthe eval --json` on the shipped testbed (resources/testbed) through the real CLI, on
 * wasm: forget10 against the 20 holdout people, plus whatever `extra` arguments a test adds.
 */
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { EvalReport } from '../../src/shared/contracts.ts';
import { runCli } from './run-cli.ts';

export const testbed = (p: string) =>
  fileURLToPath(new URL(`../../resources/testbed/${p}`, import.meta.url));

/** The parsed report and the raw stdout of the eval of `model` (a folder path). */
export async function evalTestbed(
  model: string,
  extra: readonly string[] = [],
): Promise<{ report: EvalReport; raw: string }> {
  const { code, stdout, stderr } = await runCli([
    'eval',
    model,
    '--json',
    '--backend',
    'wasm',
    '--forget',
    testbed('corpus/forget10.jsonl'),
    '--holdout',
    testbed('corpus/holdout.jsonl'),
    ...extra,
  ]);
  expect(code, stderr).toBe(0);
  return { report: EvalReport.parse(JSON.parse(stdout)), raw: stdout };
}
