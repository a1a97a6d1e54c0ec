// The browser transport against a fake server (fetch and EventSource stand-ins): envelopes pass
// through, anything else becomes a `failed` result with a message, and the typed client turns
// `ok: false` into ApiError.
import { describe, expect, it } from 'vitest';
import type { ApiResult, AppEvent, NepentheBridge } from '../../../shared/app-api.ts';
import { ApiError, browserBridge, createApi, type BrowserTransport } from './bridge.ts';

function fakeServer(answer: (url: string, body: unknown) => Response | Promise<Response>) {
  const calls: { url: string; body: unknown; credentials: RequestCredentials | undefined }[] = [];
  const sources: { onmessage: ((m: MessageEvent<string>) => void) | null; closed: boolean }[] = [];
  const transport: BrowserTransport = {
    fetch: async (input, init) => {
      const body: unknown = JSON.parse(String(init?.body));
      calls.push({ url: String(input), body, credentials: init?.credentials });
      return answer(String(input), body);
    },
    openEvents: () => {
      const source = {
        onmessage: null as ((m: MessageEvent<string>) => void) | null,
        closed: false,
        close() {
          source.closed = true;
        },
      };
      sources.push(source);
      return source as unknown as EventSource;
    },
  };
  return { transport, calls, sources };
}

const json = (value: unknown, status = 200) =>
  new Response(JSON.stringify(value), { status, headers: { 'content-type': 'application/json' } });

describe('browserBridge', () => {
  it('posts the request to /api/<channel> with the cookie and returns the envelope', async () => {
    const envelope: ApiResult = { ok: true, value: { seed: 7 } };
    const server = fakeServer(() => json(envelope));
    const result = await browserBridge(server.transport).call('settings.get', {});
    expect(result).toEqual(envelope);
    expect(server.calls).toEqual([
      { url: '/api/settings.get', body: {}, credentials: 'same-origin' },
    ]);
  });

  it('passes an error envelope through unchanged, whatever the HTTP status', async () => {
    const envelope: ApiResult = {
      ok: false,
      error: { code: 'bad-input', message: 'x.txt: empty' },
    };
    const server = fakeServer(() => json(envelope, 400));
    expect(await browserBridge(server.transport).call('documents.describe', {})).toEqual(envelope);
  });

  it('turns a non-envelope answer into a failed result naming the status', async () => {
    const server = fakeServer(
      () => new Response('<html>oops</html>', { status: 502, statusText: 'Bad Gateway' }),
    );
    const result = await browserBridge(server.transport).call('app.info', {});
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.message).toMatch(/502 Bad Gateway to app\.info/);
  });

  it('explains a refused token', async () => {
    const server = fakeServer(() => new Response('no', { status: 401 }));
    const result = await browserBridge(server.transport).call('app.info', {});
    expect(!result.ok && result.error.message).toMatch(/token/);
  });

  it('turns a network failure into a failed result instead of throwing', async () => {
    const server = fakeServer(() => {
      throw new TypeError('Failed to fetch');
    });
    const result = await browserBridge(server.transport).call('app.info', {});
    expect(!result.ok && result.error.message).toMatch(/Cannot reach the Nepenthe server/);
  });

  it('opens one event stream, delivers parsed events, skips junk, closes with the last listener', () => {
    const server = fakeServer(() => json({ ok: true, value: null }));
    const bridge = browserBridge(server.transport);
    const a: AppEvent[] = [];
    const b: AppEvent[] = [];
    const offA = bridge.onEvent((e) => a.push(e));
    const offB = bridge.onEvent((e) => b.push(e));
    expect(server.sources).toHaveLength(1);
    const event: AppEvent = {
      kind: 'task.progress',
      task: 'prune',
      label: 'layer 1',
      done: 1,
      total: 2,
    };
    const source = server.sources[0]!;
    source.onmessage?.({ data: JSON.stringify(event) } as MessageEvent<string>);
    source.onmessage?.({ data: 'not json' } as MessageEvent<string>);
    expect(a).toEqual([event]);
    expect(b).toEqual([event]);
    offA();
    expect(source.closed).toBe(false);
    offB();
    expect(source.closed).toBe(true);
  });
});

describe('createApi', () => {
  const bridgeAnswering = (result: ApiResult): NepentheBridge => ({
    transport: 'browser',
    call: async () => result,
    onEvent: () => () => {},
  });

  it('unwraps ok results', async () => {
    const api = createApi(() => bridgeAnswering({ ok: true, value: { runs: [] } }));
    expect(await api.call('runs.list', {})).toEqual({ runs: [] });
  });

  it('throws ApiError with the code and message of an error result', async () => {
    const api = createApi(() =>
      bridgeAnswering({ ok: false, error: { code: 'needs-passphrase', message: 'enter it' } }),
    );
    const error = await api.call('signing.status', {}).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'needs-passphrase', message: 'enter it' });
  });
});
