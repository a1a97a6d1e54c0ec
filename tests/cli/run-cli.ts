/**
 * Runs the real `nepenthe` binary (bin/nepenthe.mjs) as a child process, asynchronously: a
 * blocking spawnSync of many seconds starves the vitest worker, which then misses vitest's RPC
 * deadline and fails the run with "Timeout calling onTaskUpdate" though every test passed. So
 * there is no synchronous runner: await this one, and give long tests an explicit timeout.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const BIN = fileURLToPath(new URL('../../bin/nepenthe.mjs', import.meta.url));

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Kills a CLI still running after this long (the test's own timeout is usually shorter). */
const KILL_AFTER_MS = 300_000;

/** `env` is added to the test process's environment; `killAfterMs` ends a CLI that hangs. */
export function runCli(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
  killAfterMs = KILL_AFTER_MS,
): Promise<CliResult> {
  const child = spawn(process.execPath, [BIN, ...args], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
    timeout: killAfterMs,
  });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk));
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  return new Promise((resolve, reject) => {
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
