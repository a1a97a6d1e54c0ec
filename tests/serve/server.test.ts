import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_BODY_BYTES } from '../../src/main/serve/api.ts';
import { createServeServer, isLoopbackHost, type ServeServer } from '../../src/main/serve/index.ts';
import { CONTENT_SECURITY_POLICY } from '../../src/main/serve/headers.ts';
import { fakeBackend, type FakeBackend } from './fake-backend.ts';
import { rawRequest, type RawRequest } from './http-client.ts';

const INDEX_HTML = '<!doctype html><title>Nepenthe</title><script src="/assets/x.js"></script>';
const ASSET_JS = 'console.log("nepenthe asset");';
const SECRET = '{"name": "outside-the-renderer-build"}';

let root: string;
let backend: FakeBackend;
let server: ServeServer;
let bearer: Record<string, string>;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'nepenthe-serve-'));
  const renderer = join(root, 'renderer');
  mkdirSync(join(renderer, 'assets'), { recursive: true });
  writeFileSync(join(renderer, 'index.html'), INDEX_HTML);
  writeFileSync(join(renderer, 'assets', 'x.js'), ASSET_JS);
  writeFileSync(join(renderer, 'assets', 'style.css'), 'body{}');
  // A file beside the build that no request may reach, directly or through a symlink.
  writeFileSync(join(root, 'package.json'), SECRET);
  symlinkSync(join(root, 'package.json'), join(renderer, 'assets', 'link.json'));
  const workspace = join(root, 'workspace');
  mkdirSync(join(workspace, 'run-1'), { recursive: true });
  writeFileSync(join(workspace, 'run-1', 'report.pdf'), '%PDF-1.7 fake report');
  backend = fakeBackend(workspace);
  server = await createServeServer({ backend, rendererDir: renderer, heartbeatMs: 50 });
  bearer = { authorization: `Bearer ${server.token}` };
});

afterAll(async () => {
  await server?.close();
  rmSync(root, { recursive: true, force: true });
});

const get = (path: string, headers: Record<string, string> = {}) =>
  rawRequest(server.port, { path, headers });
const post = (path: string, body: string, headers: Record<string, string> = {}) =>
  rawRequest(server.port, {
    method: 'POST',
    path,
    body,
    headers: { 'content-type': 'application/json', ...headers },
  } satisfies RawRequest);

const ROUTES: readonly [string, string][] = [
  ['GET', '/'],
  ['GET', '/assets/x.js'],
  ['POST', '/api/app.info'],
  ['GET', '/api/events'],
  ['GET', '/files/report/x'],
];

describe('nepenthe serve: the HTTP transport', () => {
  it('binds to 127.0.0.1 and prints a URL that carries a 256-bit token', () => {
    expect(server.host).toBe('127.0.0.1');
    const url = new URL(server.url);
    expect(url.hostname).toBe('127.0.0.1');
    expect(url.port).toBe(String(server.port));
    expect(url.searchParams.get('token')).toBe(server.token);
    expect(Buffer.from(server.token, 'base64url')).toHaveLength(32);
  });

  it.each(ROUTES)(
    'refuses %s %s without a token (401) and with a wrong one (403)',
    async (method, path) => {
      const none = await rawRequest(server.port, {
        method,
        path,
        body: method === 'POST' ? '{}' : undefined,
      });
      expect(none.status).toBe(401);
      expect(none.body).not.toContain('nepenthe asset');
      // One character off: right length, right alphabet, wrong token.
      const wrong = `${server.token.startsWith('A') ? 'B' : 'A'}${server.token.slice(1)}`;
      const wrongHeaders: Record<string, string>[] = [
        { authorization: `Bearer ${wrong}` },
        { cookie: `nepenthe_token=${wrong}` },
      ];
      for (const headers of wrongHeaders) {
        const refused = await rawRequest(server.port, {
          method,
          path,
          headers,
          body: method === 'POST' ? '{}' : undefined,
        });
        expect(refused.status).toBe(403);
      }
      const sep = path.includes('?') ? '&' : '?';
      expect(
        (
          await rawRequest(server.port, {
            method,
            path: `${path}${sep}token=${wrong}`,
            body: method === 'POST' ? '{}' : undefined,
          })
        ).status,
      ).toBe(403);
      expect(backend.calls.filter((c) => c.channel === 'app.info')).toHaveLength(0);
    },
  );

  it('serves the renderer build to a bearer token, with content types', async () => {
    const index = await get('/', bearer);
    expect(index.status).toBe(200);
    expect(index.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(index.body).toBe(INDEX_HTML);
    const asset = await get('/assets/x.js', bearer);
    expect(asset.status).toBe(200);
    expect(asset.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(asset.body).toBe(ASSET_JS);
    expect((await get('/assets/style.css', bearer)).headers['content-type']).toBe(
      'text/css; charset=utf-8',
    );
    expect((await get('/assets/missing.js', bearer)).status).toBe(404);
  });

  it('turns ?token= into an HttpOnly SameSite=Strict cookie and redirects it out of the URL', async () => {
    const first = await get(`/?token=${server.token}`);
    expect(first.status).toBe(303);
    expect(first.headers.location).toBe('/');
    const cookie = first.headers['set-cookie']?.[0] ?? '';
    expect(cookie).toBe(`nepenthe_token=${server.token}; HttpOnly; SameSite=Strict; Path=/`);
    const withCookie = await get('/', { cookie: cookie.split(';')[0]! });
    expect(withCookie.status).toBe(200);
    expect(withCookie.body).toBe(INDEX_HTML);
    const api = await post('/api/app.info', '{}', { cookie: `nepenthe_token=${server.token}` });
    expect(api.status).toBe(200);
    // Other query parameters survive; a path cannot turn the redirect into another origin.
    const deep = await get(`/assets/x.js?v=2&token=${server.token}`);
    expect(deep.headers.location).toBe('/assets/x.js?v=2');
    const sneaky = await get(`//evil.example/?token=${server.token}`);
    expect(sneaky.headers.location).toBe('/evil.example/');
  });

  it('refuses a Host header that is not this server (DNS rebinding)', async () => {
    for (const host of ['evil.example', `evil.example:${server.port}`, '127.0.0.1:1']) {
      const refused = await get('/', { ...bearer, host });
      expect(refused.status).toBe(403);
      expect(refused.body).not.toContain('Nepenthe');
    }
    expect((await get('/', { ...bearer, host: `localhost:${server.port}` })).status).toBe(200);
  });

  it('refuses a POST from a foreign Origin, accepts its own', async () => {
    const before = backend.calls.length;
    for (const origin of ['http://evil.example', `http://127.0.0.1:${server.port + 1}`, 'null']) {
      expect((await post('/api/app.info', '{}', { ...bearer, origin })).status).toBe(403);
    }
    expect(backend.calls.length).toBe(before);
    const own = await post('/api/app.info', '{}', {
      ...bearer,
      origin: `http://127.0.0.1:${server.port}`,
    });
    expect(own.status).toBe(200);
  });

  it.each([
    '/../package.json',
    '/assets/../../package.json',
    '/%2e%2e/package.json',
    '/%2E%2E%2Fpackage.json',
    '/assets/..%2f..%2fpackage.json',
    '/assets/%2e%2e/%2e%2e/package.json',
    '/..%5cpackage.json',
    '/assets/x.js%00.html',
    '/assets/link.json',
  ])('refuses the traversal %s', async (path) => {
    const response = await get(path, bearer);
    expect([403, 404]).toContain(response.status);
    expect(response.body).not.toContain('outside-the-renderer-build');
  });

  it('passes the API envelope through, both ok and not ok', async () => {
    const payload = { path: '/models/gpt2', nested: { n: 1, s: 'ü' } };
    const echoed = await post('/api/model.inspect', JSON.stringify(payload), bearer);
    expect(echoed.status).toBe(200);
    expect(echoed.headers['cache-control']).toBe('no-store');
    expect(echoed.headers['content-type']).toBe('application/json; charset=utf-8');
    expect(JSON.parse(echoed.body)).toEqual({
      ok: true,
      value: { echo: payload, channel: 'model.inspect' },
    });
    const failed = await post('/api/run.status', '{"runId":"x"}', bearer);
    expect(failed.status).toBe(200);
    expect(JSON.parse(failed.body)).toEqual({
      ok: false,
      error: { code: 'not-found', message: 'no run "x"' },
    });
  });

  it('answers unparsable JSON with 400 and a bad-request envelope, without calling the backend', async () => {
    const before = backend.calls.length;
    const response = await post('/api/app.info', '{"not json', bearer);
    expect(response.status).toBe(400);
    const body = JSON.parse(response.body) as { ok: boolean; error: { code: string } };
    expect(body.ok).toBe(false);
    expect(body.error.code).toBe('bad-request');
    expect(backend.calls.length).toBe(before);
    expect((await get('/api/app.info', bearer)).status).toBe(405);
  });

  it('refuses a body over the upload limit with 413 before reading it', async () => {
    const before = backend.calls.length;
    const response = await rawRequest(server.port, {
      method: 'POST',
      path: '/api/files.upload',
      headers: { ...bearer, 'content-length': String(MAX_BODY_BYTES + 1) },
      body: '',
    });
    expect(response.status).toBe(413);
    expect(JSON.parse(response.body)).toMatchObject({ ok: false, error: { code: 'bad-request' } });
    expect(backend.calls.length).toBe(before);
  });

  it('streams a published event over SSE and unsubscribes when the client goes', async () => {
    expect(backend.listenerCount()).toBe(0);
    const event = {
      kind: 'run.log',
      runId: 'run-1',
      level: 'info',
      message: 'two\nlines',
    } as const;
    const received = await new Promise<{ text: string; contentType: string | undefined }>(
      (resolve, reject) => {
        const req = httpRequest(
          {
            host: '127.0.0.1',
            port: server.port,
            path: '/api/events',
            headers: { host: `127.0.0.1:${server.port}`, ...bearer },
          },
          (response) => {
            let text = '';
            response.setEncoding('utf8');
            response.on('data', (chunk: string) => {
              text += chunk;
              if (text.includes(': connected') && !text.includes('data:')) backend.publish(event);
              if (text.includes('data:') && text.includes(': heartbeat')) {
                req.destroy();
                resolve({ text, contentType: response.headers['content-type'] });
              }
            });
          },
        );
        req.on('error', reject);
        req.end();
      },
    );
    expect(received.contentType).toBe('text/event-stream; charset=utf-8');
    const data = received.text.split('\n').filter((line) => line.startsWith('data: '));
    expect(data.map((line) => JSON.parse(line.slice('data: '.length)))).toEqual([event]);
    for (let i = 0; i < 100 && backend.listenerCount() > 0; i++)
      await new Promise((r) => setTimeout(r, 10));
    expect(backend.listenerCount()).toBe(0);
  });

  it('downloads a run report as an attachment, and checks the run id', async () => {
    const report = await get('/files/report/run-1', bearer);
    expect(report.status).toBe(200);
    expect(report.headers['content-type']).toBe('application/pdf');
    expect(report.headers['content-disposition']).toBe('attachment; filename="run-1-report.pdf"');
    expect(report.body).toBe('%PDF-1.7 fake report');
    expect((await get('/files/report/run-2', bearer)).status).toBe(404);
    expect((await get('/files/report/..%2F..%2Fpackage.json', bearer)).status).toBe(400);
    expect((await get('/files/report/..', bearer)).status).toBe(400);
  });

  it('sets the security headers on every response, refusals included', async () => {
    const responses = [
      await get('/'),
      await get('/', bearer),
      await get('/assets/x.js', bearer),
      await get('/nope', bearer),
      await get('/', { ...bearer, host: 'evil.example' }),
      await post('/api/app.info', '{}', bearer),
    ];
    for (const response of responses) {
      expect(response.headers['content-security-policy']).toBe(CONTENT_SECURITY_POLICY);
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['referrer-policy']).toBe('no-referrer');
      expect(response.headers['x-frame-options']).toBe('DENY');
    }
    expect(CONTENT_SECURITY_POLICY).toContain("script-src 'self';");
    expect(CONTENT_SECURITY_POLICY).toContain("frame-ancestors 'none'");
  });
});

describe('createServeServer on a busy port', () => {
  it('rejects instead of serving elsewhere', async () => {
    await expect(
      createServeServer({
        backend: fakeBackend(root),
        rendererDir: join(root, 'renderer'),
        port: server.port,
      }),
    ).rejects.toThrow(/EADDRINUSE/);
  });
});

describe('isLoopbackHost', () => {
  it('tells loopback addresses from the ones that reach the network', () => {
    for (const host of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]'])
      expect(isLoopbackHost(host), host).toBe(true);
    for (const host of ['0.0.0.0', '::', '192.168.1.10', 'example.com', '127.0.0.1.example.com'])
      expect(isLoopbackHost(host), host).toBe(false);
  });
});
