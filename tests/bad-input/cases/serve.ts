/**
 * Hostile requests to `nepenthe serve`: wrong token, foreign Host, malformed API bodies, a run
 * on NaN weights, a report whose attachment is a FlateDecode bomb.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import type { RawResponse } from '../../serve/http-client.ts';
import { signedBombPdf } from '../../signing/helpers.ts';
import type { ServeCase, ServeClient } from '../corpus.ts';
import { copyModel, setElement } from '../model-copy.ts';

const TESTBED = fileURLToPath(new URL('../../../resources/testbed/', import.meta.url));

/** The API's envelope from a raw answer. */
function envelope(answer: RawResponse): { ok: boolean; error?: { code: string; message: string } } {
  return JSON.parse(answer.body) as { ok: boolean; error?: { code: string; message: string } };
}

/** Every file under the workspace's uploads/ (none may be left by a refused upload). */
function uploadedFiles(serve: ServeClient): string[] {
  const root = join(serve.workspace, 'uploads');
  if (!existsSync(root)) return [];
  return readdirSync(root, { recursive: true, withFileTypes: true })
    .filter((e) => !e.isDirectory())
    .map((e) => join(e.parentPath, e.name));
}

/** A refused upload: `bad-request` naming the field, nothing written under uploads/. */
function badUpload(
  name: string,
  payload: { name: string; dataBase64: string },
  field: string,
): ServeCase {
  return {
    area: 'serve',
    name,
    async run(serve) {
      const before = uploadedFiles(serve);
      const answer = envelope(await serve.call('files.upload', payload));
      expect(answer.ok).toBe(false);
      expect(answer.error?.code).toBe('bad-request');
      expect(answer.error?.message).toContain(field);
      expect(uploadedFiles(serve)).toEqual(before);
    },
  };
}

/** A request written byte for byte on a socket: Node's http client will not send two Hosts. */
function rawSocket(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.end(text));
    let answer = '';
    socket.setEncoding('utf8').on('data', (chunk: string) => (answer += chunk));
    socket.on('end', () => resolve(answer));
    socket.on('error', reject);
  });
}

function twoHosts(name: string, hosts: (port: number) => [string, string]): ServeCase {
  return {
    area: 'serve',
    name,
    async run(serve) {
      const [first, second] = hosts(serve.port);
      const answer = await rawSocket(
        serve.port,
        `POST /api/app.info HTTP/1.1\r\nHost: ${first}\r\nHost: ${second}\r\n` +
          `Authorization: Bearer ${serve.token}\r\nContent-Type: application/json\r\n` +
          `Content-Length: 2\r\nConnection: close\r\n\r\n{}`,
      );
      expect(answer).toMatch(/^HTTP\/1\.1 400 /);
      expect(answer).toContain('more than one Host header');
    },
  };
}

/** A path with a NUL refused at the boundary (`bad-request`), before any handler sees it. */
function nulPath(name: string, channel: string, payload: unknown): ServeCase {
  return {
    area: 'serve',
    name,
    async run(serve) {
      const answer = envelope(await serve.call(channel, payload));
      expect(answer.ok).toBe(false);
      expect(answer.error?.code).toBe('bad-request');
      expect(answer.error?.message).toContain('NUL');
    },
  };
}

export const SERVE_CASES: ServeCase[] = [
  {
    area: 'serve',
    name: 'a wrong session token',
    async run(serve) {
      const answer = await serve.raw({
        method: 'POST',
        path: '/api/app.info',
        headers: { authorization: 'Bearer not-the-token', 'content-type': 'application/json' },
        body: '{}',
      });
      expect(answer.status).toBe(403);
      expect(answer.body).toContain('wrong token');
    },
  },
  {
    area: 'serve',
    name: 'a Host header that is not the loopback address',
    async run(serve) {
      const answer = await serve.raw({ path: '/', headers: { host: 'attacker.example:80' } });
      expect(answer.status).toBe(403);
      expect(answer.body).toContain('unknown Host header');
    },
  },
  badUpload('an upload named "."', { name: '.', dataBase64: 'QUJD' }, 'name'),
  badUpload('an upload named ".."', { name: '..', dataBase64: 'QUJD' }, 'name'),
  badUpload(
    'an upload whose data is not base64',
    { name: 'a.txt', dataBase64: '@@ not base64 !!' },
    'dataBase64',
  ),
  badUpload(
    'an upload whose base64 is cut off',
    { name: 'a.txt', dataBase64: 'QUJDRA=' },
    'dataBase64',
  ),
  badUpload('an upload in URL-safe base64', { name: 'a.txt', dataBase64: 'Pz8_' }, 'dataBase64'),
  {
    area: 'serve',
    name: 'an upload whose name is too long for the disk (204 characters, 404 bytes)',
    async run(serve) {
      const answer = envelope(
        await serve.call('files.upload', { name: `${'é'.repeat(200)}.txt`, dataBase64: 'QUJD' }),
      );
      expect(answer.error?.code).toBe('bad-input');
      expect(answer.error?.message).toContain('too long');
      expect(uploadedFiles(serve)).toEqual([]);
      const root = join(serve.workspace, 'uploads');
      // No empty upload folder either.
      if (existsSync(root)) expect(readdirSync(root)).toEqual([]);
    },
  },
  {
    area: 'serve',
    name: 'a NUL in the ledger path of settings.set',
    async run(serve) {
      const before = envelope(await serve.call('settings.get', {})) as { value?: unknown };
      const answer = envelope(
        await serve.call('settings.set', { ledgerPath: '/tmp/ledger\u0000.jsonl' }),
      );
      expect(answer.ok).toBe(false);
      expect(answer.error?.code).toBe('bad-request');
      expect(answer.error?.message).toContain('NUL');
      expect(envelope(await serve.call('settings.get', {}))).toEqual(before);
      const saved = join(serve.workspace, '..', 'config', 'nepenthe', 'settings.json');
      if (existsSync(saved)) expect(readFileSync(saved, 'utf8')).not.toContain('\\u0000');
    },
  },
  nulPath('a NUL in the workspace of settings.set', 'settings.set', { workspace: '/tmp/w\u0000x' }),
  nulPath('a NUL in the folder given to files.list', 'files.list', { path: '/tmp\u0000/x' }),
  nulPath('a NUL in the report given to report.verify', 'report.verify', { path: '/r\u0000.pdf' }),
  twoHosts('two Host headers, both this server', (port) => [
    `127.0.0.1:${port}`,
    `127.0.0.1:${port}`,
  ]),
  twoHosts('two Host headers, the second foreign', (port) => [`127.0.0.1:${port}`, 'evil.example']),
  {
    area: 'serve',
    name: 'two simultaneous run.start: the loser leaves no .inputs folder',
    async run(serve) {
      const request = {
        model: join(TESTBED, 'model'),
        // Two files: each start copies them into <workspace>/.inputs/<runId>/forget.
        forget: [join(TESTBED, 'corpus/forget01.jsonl'), join(TESTBED, 'corpus/forget05.jsonl')],
        method: 'ga',
        backend: 'wasm',
        config: { epochs: 1 },
      };
      const answers = (
        await Promise.all([serve.call('run.start', request), serve.call('run.start', request)])
      ).map(envelope) as { ok: boolean; value?: { runId: string }; error?: { code: string } }[];
      const won = answers.filter((a) => a.ok);
      expect(won).toHaveLength(1);
      expect(answers.find((a) => !a.ok)?.error?.code).toBe('busy');
      const runId = won[0]!.value!.runId;
      // Stop the winner: the other cases need the machine.
      await serve.call('run.cancel', { runId });
      for (let i = 0; i < 600; i++) {
        const status = envelope(await serve.call('run.status', { runId })) as {
          value?: { state: string };
        };
        if (status.value?.state !== 'running') break;
        await new Promise((r) => setTimeout(r, 100));
      }
      expect(readdirSync(join(serve.workspace, '.inputs'))).toEqual([runId]);
    },
  },
  {
    area: 'serve',
    name: 'run.start on NaN weights: bad-input, no run folder and no .inputs folder left',
    async run(serve, dir) {
      const { model, doc } = copyModel(dir);
      const path = setElement(model, 'transformer.h.1.attn.c_attn.bias', NaN, 2);
      const listing = (folder: string) => (existsSync(folder) ? readdirSync(folder).sort() : []);
      const before = [listing(serve.workspace), listing(join(serve.workspace, '.inputs'))];
      const request = { model, forget: [doc], method: 'ga', backend: 'cpu', config: { epochs: 1 } };
      const answer = envelope(await serve.call('run.start', request));
      expect(answer.ok, JSON.stringify(answer)).toBe(false);
      expect(answer.error?.code).toBe('bad-input');
      expect(answer.error?.message).toContain(path);
      expect(answer.error?.message).toContain('"transformer.h.1.attn.c_attn.bias"');
      expect([listing(serve.workspace), listing(join(serve.workspace, '.inputs'))]).toEqual(before);
    },
  },
  {
    area: 'serve',
    name: 'report.verify of a signed report whose attachment is a FlateDecode bomb',
    async run(serve, dir) {
      const pdf = join(dir, 'bomb.pdf');
      writeFileSync(pdf, await signedBombPdf());
      const started = Date.now();
      const answer = envelope(await serve.call('report.verify', { path: pdf }));
      expect(Date.now() - started).toBeLessThan(5000);
      expect(answer.ok).toBe(false);
      expect(answer.error?.code).toBe('bad-input');
      expect(answer.error?.message).toContain(pdf);
      expect(answer.error?.message).toContain('inflates to more than 64 MiB');
      expect(answer.error?.message.split('\n')).toHaveLength(1);
    },
  },
];
