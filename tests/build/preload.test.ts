/**
 * The BUILT preload (out/preload/index.cjs), run the way a sandboxed renderer runs it — a
 * CommonJS script whose `require` knows only electron — against a fake electron that records
 * what is exposed and what is sent.
 */
import { runInNewContext } from 'node:vm';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AppEvent, NepentheBridge } from '../../src/shared/app-api.ts';
import { CHANNEL_NAMES, IPC_EVENT_CHANNEL } from '../../src/shared/app-channels.ts';
import { buildOnce, readBuilt } from './built-app.ts';

type Listener = (event: unknown, ...args: unknown[]) => void;

function loadPreload() {
  const exposed = new Map<string, unknown>();
  const invoked: { channel: string; args: unknown[] }[] = [];
  const listeners = new Map<string, Listener[]>();
  const required: string[] = [];
  const electron = {
    contextBridge: { exposeInMainWorld: (key: string, api: unknown) => exposed.set(key, api) },
    ipcRenderer: {
      invoke: (channel: string, ...args: unknown[]) => {
        invoked.push({ channel, args });
        return Promise.resolve({ ok: true, value: channel });
      },
      on: (channel: string, listener: Listener) => {
        listeners.set(channel, [...(listeners.get(channel) ?? []), listener]);
      },
      removeListener: (channel: string, listener: Listener) => {
        listeners.set(
          channel,
          (listeners.get(channel) ?? []).filter((l) => l !== listener),
        );
      },
    },
    webUtils: { getPathForFile: (file: { path: string }) => file.path },
  };
  const require = (name: string): unknown => {
    required.push(name);
    if (name === 'electron') return electron;
    throw new Error(`a sandboxed preload cannot require ${name}`);
  };
  const module = { exports: {} };
  runInNewContext(readBuilt('out/preload/index.cjs'), {
    require,
    module,
    exports: module.exports,
  });
  const emit = (event: AppEvent) => {
    for (const listener of listeners.get(IPC_EVENT_CHANNEL) ?? [])
      listener({ sender: 'hidden' }, event);
  };
  return { exposed, invoked, listeners, required, emit };
}

describe('built preload', () => {
  beforeAll(async () => {
    const result = await buildOnce();
    expect(result.status, result.output).toBe(0);
  }, 200_000);

  it('exposes exactly window.nepenthe, on the electron transport, requiring only electron', () => {
    const { exposed, required } = loadPreload();
    expect([...exposed.keys()]).toEqual(['nepenthe']);
    expect(required).toEqual(['electron']);
    const bridge = exposed.get('nepenthe') as NepentheBridge;
    expect(bridge.transport).toBe('electron');
    expect(Object.keys(bridge).sort()).toEqual(['call', 'onEvent', 'pathForFile', 'transport']);
  });

  it('sends every channel to nepenthe:<name> with the request unchanged', async () => {
    const { exposed, invoked } = loadPreload();
    const bridge = exposed.get('nepenthe') as NepentheBridge;
    for (const name of CHANNEL_NAMES) {
      const request = { probe: name };
      await expect(bridge.call(name, request)).resolves.toEqual({
        ok: true,
        value: `nepenthe:${name}`,
      });
      expect(invoked.at(-1)).toEqual({ channel: `nepenthe:${name}`, args: [request] });
      expect(invoked.at(-1)?.args[0]).toBe(request);
    }
    expect(invoked).toHaveLength(CHANNEL_NAMES.length);
  });

  it('refuses an unknown channel without sending anything', async () => {
    const { exposed, invoked } = loadPreload();
    const bridge = exposed.get('nepenthe') as NepentheBridge;
    const call = bridge.call as (channel: unknown, request: unknown) => Promise<unknown>;
    for (const channel of ['nepenthe:app.info', 'event', '__proto__', 'app.info ', 42, undefined])
      await expect((async () => call(channel, {}))(), String(channel)).rejects.toThrow(
        /unknown channel/,
      );
    expect(invoked).toEqual([]);
  });

  it('relays events to each subscriber until it unsubscribes', () => {
    const { exposed, emit, listeners } = loadPreload();
    const bridge = exposed.get('nepenthe') as NepentheBridge;
    const first: unknown[] = [];
    const second: unknown[] = [];
    const stopFirst = bridge.onEvent((event) => first.push(event));
    bridge.onEvent((event) => second.push(event));
    const event: AppEvent = {
      kind: 'task.progress',
      task: 'prune',
      label: 'layer 1',
      done: 1,
      total: 4,
    };
    emit(event);
    stopFirst();
    emit({ ...event, done: 2 });
    expect(first).toEqual([event]);
    expect(second).toEqual([event, { ...event, done: 2 }]);
    expect(listeners.get(IPC_EVENT_CHANNEL)).toHaveLength(1);
  });

  it('gives a dropped file its path, and null when it has none', () => {
    const { exposed } = loadPreload();
    const bridge = exposed.get('nepenthe') as NepentheBridge;
    expect(bridge.pathForFile?.({ path: '/home/a/doc.pdf' } as unknown as File)).toBe(
      '/home/a/doc.pdf',
    );
    expect(bridge.pathForFile?.({ path: '' } as unknown as File)).toBeNull();
  });
});
