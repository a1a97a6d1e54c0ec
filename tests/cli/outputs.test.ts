/**
 * Publishing an output never deletes anything it did not create (docs/outputs.md), through the
 * real CLI on resources/tiny-gpt2: a file the user puts into an empty --out during the run
 * survives and the run exits 1 naming its finished partial result; a second run on the same
 * --out is refused up front while the first holds it; an --out that cannot be written (a
 * pseudo file system) is refused before any work, within seconds.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { BIN, runCli } from './run-cli.ts';

const TINY = fileURLToPath(new URL('../../resources/tiny-gpt2', import.meta.url));
const SAMPLE = fileURLToPath(new URL('../../resources/demo/sample.txt', import.meta.url));

const scratches: string[] = [];
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nepenthe-outputs-'));
  scratches.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of scratches) rmSync(dir, { recursive: true, force: true });
});

/** A graddiff run long enough (a checkpoint after each of many steps) to act during it. */
function unlearnArgs(dir: string, out: string, epochs = 12): string[] {
  const config = join(dir, 'config.json');
  writeFileSync(
    config,
    JSON.stringify({ epochs, batchSize: 2, maxLength: 64, checkpointEvery: 1 }),
  );
  return [
    'unlearn',
    TINY,
    '--forget',
    SAMPLE,
    '--method',
    'ga',
    '--config',
    config,
    '--out',
    out,
    '--backend',
    'wasm',
  ];
}

/** Starts the CLI; resolves `firstCheckpoint` once its first checkpoint is on disk. */
function startUnlearn(args: string[], checkpoint: string) {
  const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
  const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
  const firstCheckpoint = new Promise<boolean>((resolve) => {
    const poll = setInterval(() => {
      if (existsSync(join(checkpoint, 'state.json'))) {
        clearInterval(poll);
        resolve(true);
      }
    }, 10);
    void closed.then(() => {
      clearInterval(poll);
      resolve(false);
    });
  });
  return { child, closed, firstCheckpoint, stderr: () => stderr };
}

describe('publishing an output', () => {
  it('a file put into an empty --out during the run survives; exit 1 names the finished result', async () => {
    const dir = scratch();
    const out = join(dir, 'unlearned');
    mkdirSync(out); // empty at the start: allowed
    const staging = join(dir, '.unlearned.partial');
    const run = startUnlearn(unlearnArgs(dir, out), join(staging, 'checkpoint'));
    expect(await run.firstCheckpoint, run.stderr()).toBe(true);
    writeFileSync(join(out, 'mine.txt'), 'the user put this here');

    const code = await run.closed;
    expect(code, run.stderr()).toBe(1);
    expect(readFileSync(join(out, 'mine.txt'), 'utf8')).toBe('the user put this here');
    const lines = run.stderr().trim().split('\n');
    const last = lines.at(-1)!;
    expect(last).toContain(out);
    expect(last).toMatch(/changed during the run/);
    expect(last).toContain(join(staging, 'model'));
    expect(run.stderr()).not.toMatch(/\n\s+at /);
    // The finished result is complete where the message says.
    expect(existsSync(join(staging, 'model', 'model.safetensors'))).toBe(true);
    expect(existsSync(join(staging, 'model', 'training.json'))).toBe(true);
  }, 300_000);

  it('a second run on the same --out is refused up front while the first holds it', async () => {
    const dir = scratch();
    const out = join(dir, 'unlearned');
    const staging = join(dir, '.unlearned.partial');
    // Far more steps than the second CLI needs to start: the first is cancelled once it is refused.
    const args = unlearnArgs(dir, out, 400);
    const first = startUnlearn(args, join(staging, 'checkpoint'));
    expect(await first.firstCheckpoint, first.stderr()).toBe(true);

    const second = await runCli(args, {}, 60_000);
    expect(second.code, second.stderr).toBe(2);
    expect(second.stdout).toBe('');
    expect(second.stderr.trim().split('\n'), second.stderr).toHaveLength(1);
    expect(second.stderr).toContain(out);
    expect(second.stderr, second.stderr).toMatch(/in use by another run/);
    // The refused run touched nothing of the first: its checkpoint goes on being written.
    expect(existsSync(join(staging, 'checkpoint', 'state.json'))).toBe(true);

    first.child.kill('SIGINT');
    expect(await first.closed, first.stderr()).toBe(1); // cancelled, resumable
    expect(existsSync(join(dir, '.unlearned.lock'))).toBe(false); // the lock is dropped
    expect(existsSync(join(staging, 'checkpoint', 'state.json'))).toBe(true);
  }, 300_000);

  it.each([
    ['unlearn', '/proc/nepenthe-out'],
    ['prune', '/proc/nepenthe-out'],
    ['unlearn', '/sys/nepenthe-out'],
  ])(
    '%s --out %s is refused before any work, within seconds',
    async (command, out) => {
      const dir = scratch();
      const args =
        command === 'unlearn'
          ? unlearnArgs(dir, out)
          : ['prune', TINY, '--method', 'magnitude', '--sparsity', '0.5', '--out', out];
      const started = Date.now();
      const { code, stdout, stderr } = await runCli(args, {}, 30_000);
      expect(Date.now() - started).toBeLessThan(30_000);
      expect(code, stderr).toBe(2);
      expect(stdout).toBe('');
      expect(stderr.trim().split('\n'), stderr).toHaveLength(1);
      expect(stderr).toContain(out);
      expect(stderr).toMatch(/cannot write/);
    },
    60_000,
  );
});
