/**
 * Every channel of the app API against malformed payloads, through the real dispatcher and the
 * real handlers over a temporary workspace: a call never throws, always answers an ApiResult,
 * and every payload its schema rejects is answered `bad-request` before a handler runs. Valid
 * samples use paths that do not exist, so the accepted ones fail fast in main (no run starts).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ApiResult, CHANNELS } from '../../src/shared/app-api.ts';
import { CHANNEL_NAMES, type ChannelName } from '../../src/shared/app-channels.ts';
import type { AppBackend } from '../../src/main/app-backend.ts';
import { memorySecretStore } from '../../src/main/secrets.ts';
import { createAppBackend } from '../../src/main/services/index.ts';
import { mulberry32 } from '../../src/worker/data/prng.ts';

const PAYLOADS_PER_CHANNEL = 200;
const nowhere = '/nonexistent-nepenthe-fuzz/x';

/** One well-formed payload per channel: the mutations start from its keys. */
const SAMPLES: Record<ChannelName, Record<string, unknown>> = {
  'app.info': {},
  'settings.get': {},
  'settings.set': { backend: 'cpu', seed: 3 },
  'files.list': { path: nowhere, purpose: 'documents' },
  'files.pick': { purpose: 'model', multiple: true, save: false, defaultPath: nowhere },
  'files.upload': { name: 'a.txt', dataBase64: 'aGVsbG8=' },
  'model.inspect': { path: nowhere },
  'model.prune': { path: nowhere, method: 'magnitude', sparsity: 0.5 },
  'documents.describe': { paths: [nowhere], set: 'forget', names: ['Ann'] },
  'documents.preview': { path: nowhere, index: 0, names: ['Ann'] },
  'methods.list': {},
  'run.start': { model: nowhere, forget: [nowhere], method: 'ga', config: { lr: 0.1 } },
  'run.cancel': { runId: 'run-1' },
  'run.resume': { runId: 'run-1' },
  'run.status': { runId: 'run-1' },
  'runs.list': {},
  'runs.open': { runId: 'run-1' },
  'signing.status': {},
  'report.sign': { runId: 'run-1', certificate: { kind: 'default' }, passphrase: 'x' },
  'report.verify': { path: nowhere },
  'report.export': { runId: 'run-1', dest: nowhere },
  'model.export': { runId: 'run-1', what: 'model', dest: nowhere },
  'shell.openFolder': { path: nowhere },
};

type Random = () => number;
const pick = <T>(random: Random, items: readonly T[]): T =>
  items[Math.floor(random() * items.length)]!;

function junk(random: Random, depth = 0): unknown {
  const kinds = [
    () => null,
    () => undefined,
    () => random() < 0.5,
    () => Math.floor(random() * 2 ** 32) - 2 ** 31,
    () => pick(random, [NaN, Infinity, -Infinity, -0, 1e308, -1, 0.5, 2 ** 53]),
    () => pick(random, ['', ' ', '../..', '/etc/passwd', '\0', 'run-1/..', '2:4', 'auto']),
    () => 'x'.repeat(Math.floor(random() * 5000)),
    () => (random() < 0.1 ? 'y'.repeat(200_000) : 'ünïcødé ✓'),
    () =>
      depth > 3
        ? []
        : Array.from({ length: 1 + Math.floor(random() * 4) }, () => junk(random, depth + 1)),
    () => (depth > 3 ? {} : junkObject(random, depth + 1)),
    () =>
      JSON.parse(
        '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}',
      ),
  ];
  return pick(random, kinds)();
}

function junkObject(random: Random, depth: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const keys = ['path', 'runId', 'paths', 'x', 'purpose', '__proto__', 'constructor', 'prototype'];
  for (let i = Math.floor(random() * 4); i > 0; i--)
    Object.defineProperty(out, pick(random, keys), {
      value: junk(random, depth),
      enumerable: true,
      writable: true,
      configurable: true,
    });
  return out;
}

/** A malformed payload: a sample with a key replaced, removed or added, or plain junk. */
function malformed(random: Random, sample: Record<string, unknown>): unknown {
  const keys = Object.keys(sample);
  const copy: Record<string, unknown> = { ...sample };
  switch (Math.floor(random() * 6)) {
    case 0:
      return junk(random);
    case 1:
      if (keys.length > 0) copy[pick(random, keys)] = junk(random);
      else copy.extra = junk(random);
      return copy;
    case 2:
      if (keys.length > 0) delete copy[pick(random, keys)];
      copy[pick(random, ['extra', 'ok', 'value', 'channel'])] = junk(random);
      return copy;
    case 3:
      return JSON.parse(`{"__proto__": {"isAdmin": true}, ${JSON.stringify(keys[0] ?? 'a')}: 1}`);
    case 4:
      return pick(random, [[sample], [], null, undefined, 'payload', 42, true]);
    default:
      for (const key of keys) if (random() < 0.5) copy[key] = junk(random);
      return copy;
  }
}

describe('the app API under malformed payloads', () => {
  let root: string;
  let backend: AppBackend;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'nepenthe-fuzz-'));
    const env = {
      ...process.env,
      HOME: join(root, 'home'),
      XDG_CONFIG_HOME: join(root, 'config'),
      XDG_DATA_HOME: join(root, 'data'),
    };
    backend = await createAppBackend({
      transport: 'browser',
      secrets: memorySecretStore(),
      env,
      workspace: join(root, 'workspace'),
      configDir: join(root, 'config', 'nepenthe'),
    });
  });

  afterAll(async () => {
    await backend.dispose();
    rmSync(root, { recursive: true, force: true });
  });

  for (const channel of CHANNEL_NAMES) {
    it(`${channel}: ${PAYLOADS_PER_CHANNEL} malformed payloads, each a typed answer`, async () => {
      const random = mulberry32(0x5eed ^ channel.length ^ (channel.charCodeAt(0) << 8));
      const schema = CHANNELS[channel].request;
      let rejected = 0;
      const failed: string[] = [];
      for (let i = 0; i < PAYLOADS_PER_CHANNEL; i++) {
        const payload = malformed(random, SAMPLES[channel]);
        const result = await backend.call(channel, payload);
        expect(ApiResult.safeParse(result).success).toBe(true);
        if (!schema.safeParse(payload).success) {
          rejected++;
          expect(result.ok ? 'ok' : result.error.code).toBe('bad-request');
        } else if (!result.ok && result.error.code === 'failed') {
          failed.push(result.error.message);
        }
      }
      // The generator must mostly produce rejects, or the test checks little.
      expect(rejected).toBeGreaterThan(PAYLOADS_PER_CHANNEL * 0.6);
      // Accepted payloads name missing files: user errors, never an internal failure.
      expect(failed).toEqual([]);
      expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      expect(({} as Record<string, unknown>).isAdmin).toBeUndefined();
    });
  }

  it('answers unknown channel names with unknown-channel', async () => {
    for (const name of [
      '',
      'app',
      'app.info ',
      'APP.INFO',
      '__proto__',
      'constructor',
      42,
      null,
      {},
    ]) {
      const result = await backend.call(name, {});
      expect(result).toMatchObject({ ok: false, error: { code: 'unknown-channel' } });
    }
  });
});
