/**
 * An in-process AppBackend for the transport's unit tests: it answers every call with an
 * envelope that echoes what arrived (so a test can see the body passed through untouched),
 * `settings.get` with a workspace, and lets the test publish events.
 */
import type { ApiResult, AppEvent } from '../../src/shared/app-api.ts';
import type { AppBackend } from '../../src/main/app-backend.ts';

export interface FakeBackend extends AppBackend {
  readonly calls: { channel: unknown; payload: unknown }[];
  publish(event: AppEvent): void;
  listenerCount(): number;
}

export function fakeBackend(workspace: string): FakeBackend {
  const calls: { channel: unknown; payload: unknown }[] = [];
  const listeners = new Set<(event: AppEvent) => void>();
  return {
    calls,
    async call(channel, payload): Promise<ApiResult> {
      calls.push({ channel, payload });
      if (channel === 'settings.get')
        return {
          ok: true,
          value: { workspace, backend: 'cpu', seed: 0, ledgerPath: `${workspace}/ledger.jsonl` },
        };
      if (channel === 'run.status')
        return { ok: false, error: { code: 'not-found', message: 'no run "x"' } };
      return { ok: true, value: { echo: payload, channel } };
    },
    subscribe(listener) {
      listeners.add(listener);
      return () => void listeners.delete(listener);
    },
    publish(event) {
      for (const listener of listeners) listener(event);
    },
    listenerCount: () => listeners.size,
    async dispose() {},
  };
}
