/**
 * The Electron transport of the app API, with a fake ipcMain and a fake backend (the backend's
 * own validation is tested with the dispatcher): one handler per channel, callers that are not
 * the app's page refused, payloads handed over untouched, events sent to the window.
 */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { ApiResult, AppEvent } from '../../src/shared/app-api.ts';
import { CHANNEL_NAMES, IPC_EVENT_CHANNEL } from '../../src/shared/app-channels.ts';
import type { AppBackend } from '../../src/main/app-backend.ts';
import { appOrigin } from '../../src/main/electron/app-origin.ts';
import {
  forwardEvents,
  registerIpc,
  type InvokeEventLike,
} from '../../src/main/electron/register-ipc.ts';

type Handler = (event: InvokeEventLike, ...args: unknown[]) => unknown;

function fakes() {
  const handlers = new Map<string, Handler>();
  const registrations: string[] = [];
  const ipcMain = {
    handle(channel: string, handler: Handler) {
      registrations.push(channel);
      handlers.set(channel, handler);
    },
    removeHandler: (channel: string) => void handlers.delete(channel),
  };
  const calls: { channel: unknown; payload: unknown }[] = [];
  const subscribers = new Set<(event: AppEvent) => void>();
  const backend: AppBackend = {
    call(channel, payload) {
      calls.push({ channel, payload });
      return Promise.resolve({ ok: true, value: { echoed: channel } });
    },
    subscribe(listener) {
      subscribers.add(listener);
      return () => void subscribers.delete(listener);
    },
    dispose: () => Promise.resolve(),
  };
  return { handlers, registrations, ipcMain, backend, calls, subscribers };
}

const rendererDir = join('/opt/nepenthe/resources/app.asar/out/renderer');
const ownPage = `file://${rendererDir}/index.html`;
const origin = appOrigin(rendererDir);
const options = { isOwnPage: (url: string | undefined) => origin.isOwnPage(url) };
const from = (url: string | null): InvokeEventLike => ({
  senderFrame: url === null ? null : { url },
});

describe('registerIpc', () => {
  it('registers every channel exactly once, and removes them all', () => {
    const { ipcMain, backend, registrations, handlers } = fakes();
    const remove = registerIpc(ipcMain, backend, options);
    expect([...registrations].sort()).toEqual(CHANNEL_NAMES.map((n) => `nepenthe:${n}`).sort());
    expect(new Set(registrations).size).toBe(registrations.length);
    remove();
    expect(handlers.size).toBe(0);
  });

  it('hands the payload to the backend unchanged, on its own channel', async () => {
    const { ipcMain, backend, handlers, calls } = fakes();
    registerIpc(ipcMain, backend, options);
    for (const name of CHANNEL_NAMES) {
      const payload = { some: ['payload', name], nested: { n: 1 } };
      const result = await handlers.get(`nepenthe:${name}`)?.(from(ownPage), payload);
      expect(result).toEqual({ ok: true, value: { echoed: name } });
      expect(calls.at(-1)?.channel).toBe(name);
      expect(calls.at(-1)?.payload).toBe(payload);
    }
    expect(calls).toHaveLength(CHANNEL_NAMES.length);
  });

  it('refuses foreign or vanished senders with bad-request, without calling the backend', async () => {
    const { ipcMain, backend, handlers, calls } = fakes();
    registerIpc(ipcMain, backend, options);
    const handler = handlers.get('nepenthe:report.sign');
    for (const url of [
      'https://example.com/',
      'file:///tmp/evil.html',
      `file://${rendererDir}/../../../evil.html`,
      'http://localhost:5173/',
      null,
    ]) {
      const result = (await handler?.(from(url), { runId: 'x' })) as ApiResult;
      expect(result.ok, String(url)).toBe(false);
      if (!result.ok) {
        expect(result.error.code).toBe('bad-request');
        expect(result.error.message).toMatch(/report\.sign: refused a call from/);
      }
    }
    expect(calls).toEqual([]);
  });

  it('answers a backend that throws with a failed result, not a rejection', async () => {
    const { ipcMain, backend, handlers } = fakes();
    registerIpc(
      ipcMain,
      { ...backend, call: () => Promise.reject(new Error('disk gone')) },
      options,
    );
    await expect(handlers.get('nepenthe:runs.list')?.(from(ownPage), undefined)).resolves.toEqual({
      ok: false,
      error: { code: 'failed', message: 'runs.list: Error: disk gone' },
    });
  });
});

describe('forwardEvents', () => {
  it('sends backend events to the window until it is gone or unsubscribed', () => {
    const { backend, subscribers } = fakes();
    const sent: { channel: string; event: AppEvent }[] = [];
    let destroyed = false;
    const target = {
      send: (channel: string, event: AppEvent) => void sent.push({ channel, event }),
      isDestroyed: () => destroyed,
    };
    const stop = forwardEvents(backend, target);
    const event: AppEvent = { kind: 'run.log', runId: 'r1', level: 'info', message: 'hello' };
    for (const listener of subscribers) listener(event);
    expect(sent).toEqual([{ channel: IPC_EVENT_CHANNEL, event }]);

    destroyed = true;
    for (const listener of [...subscribers]) listener(event);
    expect(sent).toHaveLength(1);
    expect(subscribers.size).toBe(0);

    stop(); // idempotent after the window went away
    expect(subscribers.size).toBe(0);
  });
});
