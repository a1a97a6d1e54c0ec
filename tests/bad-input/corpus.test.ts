/**
 * Runs the bad-input corpus (corpus.ts): every CLI case through the real binary, every serve
 * case against one real `nepenthe serve`, and checks that README states the corpus's size.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../cli/run-cli.ts';
import { startServe, type ServeProcess } from '../helpers/serve-process.ts';
import { rawRequest } from '../serve/http-client.ts';
import { CLI_CASES, SERVE_CASES } from './cases/index.ts';
import type { ServeClient } from './corpus.ts';

const README = fileURLToPath(new URL('../../README.md', import.meta.url));

/** Lines the CLI may print before its verdict: which backend, what it loads, progress. */
const CHATTER = /^(backend:|loading |progress )/;

let root: string;
beforeAll(() => void (root = mkdtempSync(join(tmpdir(), 'nepenthe-corpus-'))));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function caseFolder(name: string): string {
  const dir = join(root, name.replace(/[^a-z0-9]+/gi, '-'));
  mkdirSync(dir, { recursive: true });
  return dir;
}

describe('the bad-input corpus through the CLI', () => {
  it.each(CLI_CASES.map((c) => [`${c.area}: ${c.name}`, c] as const))('%s', async (_, badCase) => {
    const expected = await badCase.setup(caseFolder(`${badCase.area}-${badCase.name}`));
    const seconds = expected.withinSeconds ?? 60;
    const started = Date.now();
    const { code, stdout, stderr } = await runCli(expected.args, expected.env, seconds * 1000);
    expect(Date.now() - started, `took longer than ${seconds} s`).toBeLessThan(seconds * 1000);
    expect(code, stderr).toBe(expected.exitCode ?? 2);
    expect(stdout).toBe('');
    const lines = stderr
      .trim()
      .split('\n')
      .filter((line) => !CHATTER.test(line));
    expect(lines, stderr).toHaveLength(1);
    expect(stderr).not.toMatch(/\n\s+at /); // no stack trace
    for (const fragment of expected.mentions) expect(lines[0]).toContain(fragment);
    expected.after?.();
  });
});

describe('the bad-input corpus against serve', () => {
  let serve: ServeProcess;
  let client: ServeClient;

  beforeAll(async () => {
    const home = caseFolder('serve-home');
    mkdirSync(join(home, 'renderer'), { recursive: true });
    writeFileSync(join(home, 'renderer', 'index.html'), '<!doctype html><title>Nepenthe</title>');
    serve = await startServe(home, join(home, 'renderer'));
    const url = new URL(serve.url);
    const port = Number(url.port);
    const token = url.searchParams.get('token') ?? '';
    const auth = { authorization: `Bearer ${token}` };
    client = {
      workspace: join(home, 'workspace'),
      port,
      token,
      call: (channel, payload) =>
        rawRequest(port, {
          method: 'POST',
          path: `/api/${channel}`,
          headers: { ...auth, 'content-type': 'application/json' },
          body: JSON.stringify(payload),
        }),
      raw: (request) => rawRequest(port, { ...request, headers: { ...auth, ...request.headers } }),
    };
  });
  afterAll(async () => void (await serve?.stop()));

  it.each(SERVE_CASES.map((c) => [c.name, c] as const))('%s', async (_, badCase) => {
    await badCase.run(client, caseFolder(`serve-${badCase.name}`));
  });
});

describe('README', () => {
  it('states how many bad inputs the corpus holds', () => {
    const count = CLI_CASES.length + SERVE_CASES.length;
    expect(readFileSync(README, 'utf8')).toContain(`${count} bad inputs`);
  });
});
