/**
 * `nepenthe serve` through the real CLI: the JSON line first, loopback, the token refused and
 * accepted, app.info answered by the real backend on the browser transport, and a clean stop
 * on SIGTERM that takes the worker process with it.
 */
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startServe } from '../helpers/serve-process.ts';
import { runCli } from './run-cli.ts';

let root: string;
let env: NodeJS.ProcessEnv;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'nepenthe-serve-cli-'));
  mkdirSync(join(root, 'renderer', 'assets'), { recursive: true });
  writeFileSync(join(root, 'renderer', 'index.html'), '<!doctype html><title>Nepenthe</title>');
  mkdirSync(join(root, 'workspace'));
  for (const dir of ['home', 'config', 'data']) mkdirSync(join(root, dir));
  env = {
    ...process.env,
    HOME: join(root, 'home'),
    XDG_CONFIG_HOME: join(root, 'config'),
    XDG_DATA_HOME: join(root, 'data'),
  };
});

afterAll(() => rmSync(root, { recursive: true, force: true }));

/** Every process whose ancestor is `pid` (Linux /proc): the worker among them. */
function descendants(pid: number): number[] {
  const parents = new Map<number, number>();
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8');
      // The command name is in parentheses and may contain spaces: the ppid follows the last ')'.
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(Number(name), ppid);
    } catch {
      // the process ended while we looked
    }
  }
  const found: number[] = [];
  const frontier = [pid];
  while (frontier.length > 0) {
    const parent = frontier.pop()!;
    for (const [child, ppid] of parents)
      if (ppid === parent) {
        found.push(child);
        frontier.push(child);
      }
  }
  return found;
}

function commandLine(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').replaceAll('\0', ' ');
  } catch {
    return '';
  }
}

/** Running, not a zombie (a process that ended between the two reads is not alive either). */
function alive(pid: number): boolean {
  try {
    return !readFileSync(`/proc/${pid}/stat`, 'utf8').includes(') Z ');
  } catch {
    return false;
  }
}

describe('nepenthe serve (real CLI)', () => {
  it('prints the token URL first, refuses no token, answers app.info for the browser, stops on SIGTERM', async () => {
    const serve = await startServe(root, join(root, 'renderer'));
    const child = serve.child;
    const exited = new Promise<number | null>((resolve) =>
      child.on('exit', (code) => resolve(code)),
    );
    try {
      // startServe has read the JSON URL line, the first on stdout.
      const parsed = new URL(serve.url);
      expect(parsed.protocol).toBe('http:');
      expect(parsed.hostname).toBe('127.0.0.1');
      const token = parsed.searchParams.get('token') ?? '';
      expect(Buffer.from(token, 'base64url')).toHaveLength(32);
      const origin = parsed.origin;

      const refused = await fetch(`${origin}/`);
      expect(refused.status).toBe(401);
      const refusedApi = await fetch(`${origin}/api/app.info`, { method: 'POST', body: '{}' });
      expect(refusedApi.status).toBe(401);

      const index = await fetch(`${origin}/`, { headers: { authorization: `Bearer ${token}` } });
      expect(index.status).toBe(200);
      expect(await index.text()).toContain('<title>Nepenthe</title>');

      const info = await fetch(`${origin}/api/app.info`, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: '{}',
      });
      expect(info.status).toBe(200);
      const result = (await info.json()) as {
        ok: boolean;
        value?: { transport: string; workspace: string };
        error?: unknown;
      };
      expect(result, JSON.stringify(result)).toMatchObject({ ok: true });
      expect(result.value?.transport).toBe('browser');
      expect(result.value?.workspace).toBe(join(root, 'workspace'));

      // app.info asked the engine worker which backend it runs: the worker is up now (tsx's
      // esbuild service is a child too, so the worker is found by its entry module).
      const children = descendants(child.pid!);
      const workers = children.filter((pid) => commandLine(pid).includes('worker/index'));
      expect(workers, children.map(commandLine).join('\n')).toHaveLength(1);

      const started = Date.now();
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(Date.now() - started).toBeLessThan(10_000);
      await new Promise((r) => setTimeout(r, 200));
      expect(children.filter(alive)).toEqual([]);
      expect(serve.stderr()).not.toContain('nepenthe serve: failed');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 120_000);

  it('exits 2 naming the folder when the renderer build is missing', async () => {
    const missing = join(root, 'no-build');
    const { code, stdout, stderr } = await runCli(
      ['serve', '--json', '--renderer', missing, '--workspace', join(root, 'workspace')],
      env,
    );
    expect(code).toBe(2);
    expect(stdout).toBe('');
    expect(stderr).toContain(missing);
    expect(stderr).toContain('run `npm run build` first');
    expect(stderr).not.toContain('    at ');
  });
});
