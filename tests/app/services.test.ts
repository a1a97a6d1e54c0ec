/**
 * The app's services end to end through the typed API, with the real worker and the shipped
 * testbed, in temporary HOME / XDG folders: what the renderer will see on each channel, a full
 * SAU audit started from the API, signing from the app's secret store, verification, and a
 * cancelled run resumed from its checkpoint.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { AppEvent, ResponseOf, RequestOf } from '../../src/shared/app-api.ts';
import type { ChannelName } from '../../src/shared/app-channels.ts';
import type { AppBackend } from '../../src/main/app-backend.ts';
import { memorySecretStore, type SecretStore } from '../../src/main/secrets.ts';
import { createAppBackend } from '../../src/main/services/index.ts';
import { CommonKeys, MethodKeys } from '../../src/worker/unlearn/config.ts';

const TESTBED = new URL('../../resources/testbed/', import.meta.url).pathname.replace(/\/$/, '');
const at = (p: string) => join(TESTBED, p);

let root: string;
let backend: AppBackend;
let secrets: SecretStore;
const events: AppEvent[] = [];
const waiters: { test: (e: AppEvent) => boolean; resolve: (e: AppEvent) => void }[] = [];

async function call<C extends ChannelName>(channel: C, request: RequestOf<C>) {
  const result = await backend.call(channel, request);
  return result as
    { ok: true; value: ResponseOf<C> } | { ok: false; error: { code: string; message: string } };
}

async function ok<C extends ChannelName>(
  channel: C,
  request: RequestOf<C>,
): Promise<ResponseOf<C>> {
  const result = await call(channel, request);
  if (!result.ok) throw new Error(`${channel}: ${result.error.code}: ${result.error.message}`);
  return result.value;
}

/** The first event (already seen or still to come) that passes `test`. */
function eventWhere(test: (e: AppEvent) => boolean, timeoutMs = 100_000): Promise<AppEvent> {
  const seen = events.find(test);
  if (seen) return Promise.resolve(seen);
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('no such event in time')), timeoutMs);
    waiters.push({ test, resolve: (e) => (clearTimeout(timer), resolve(e)) });
  });
}

const runEnded = (runId: string) =>
  eventWhere((e) => e.kind === 'run.state' && e.runId === runId && e.state !== 'running');

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'nepenthe-app-'));
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    HOME: join(root, 'home'),
    XDG_CONFIG_HOME: join(root, 'config'),
    XDG_DATA_HOME: join(root, 'data'),
  };
  delete env.NEPENTHE_KEY_PASSPHRASE;
  mkdirSync(join(root, 'home'), { recursive: true });
  secrets = memorySecretStore();
  backendEnv = env;
  await startBackend();
});

let backendEnv: NodeJS.ProcessEnv;

/** A new backend over the same folders: what the app is after a restart. */
async function startBackend(): Promise<void> {
  backend = await createAppBackend({ transport: 'browser', secrets, env: backendEnv });
  backend.subscribe((event) => {
    events.push(event);
    for (const w of waiters.filter((w) => w.test(event))) {
      waiters.splice(waiters.indexOf(w), 1);
      w.resolve(event);
    }
  });
}

afterAll(async () => {
  await backend.dispose();
  rmSync(root, { recursive: true, force: true });
});

describe('app services over the typed API', () => {
  let pruned: string;

  it('app.info: version, machine, engine, testbed, workspace from XDG_DATA_HOME', async () => {
    const info = await ok('app.info', {});
    const pkg = JSON.parse(readFileSync(new URL('../../package.json', import.meta.url), 'utf8'));
    expect(info.version).toBe(pkg.version);
    expect(info.cores).toBeGreaterThan(0);
    expect(info.memory.totalBytes).toBeGreaterThan(info.memory.freeBytes * 0.99);
    expect(['webgpu', 'tensorflow', 'native', 'wasm', 'cpu']).toContain(info.engine.backend);
    expect(info.engine.description).toMatch(/auto/);
    expect(info.testbed).toMatchObject({ model: at('model'), forget: at('corpus/forget10.jsonl') });
    expect(info.workspace).toBe(join(root, 'data', 'nepenthe', 'runs'));
    expect(info.configDir).toBe(join(root, 'config', 'nepenthe'));
  });

  it('settings persist to settings.json', async () => {
    const set = await ok('settings.set', { seed: 7 });
    expect(set.seed).toBe(7);
    const file = JSON.parse(
      readFileSync(join(root, 'config', 'nepenthe', 'settings.json'), 'utf8'),
    );
    expect(file.seed).toBe(7);
    expect((await ok('settings.set', { seed: 0 })).seed).toBe(0);
    const bad = await call('settings.set', { workspace: 'relative/path' });
    expect(bad).toMatchObject({ ok: false, error: { code: 'bad-input' } });
  });

  it('files.list marks the testbed model and what fits each purpose', async () => {
    const list = await ok('files.list', { path: TESTBED, purpose: 'qa' });
    const byName = new Map(list.entries.map((e) => [e.name, e]));
    expect(byName.get('model')).toMatchObject({ kind: 'dir', isModel: true });
    expect(byName.get('corpus')).toMatchObject({ kind: 'dir', isModel: false });
    expect(list.entries.findIndex((e) => e.kind === 'file')).toBeGreaterThan(
      list.entries.findLastIndex((e) => e.kind === 'dir'),
    );
    expect(byName.get('manifest.json')?.selectable).toBe(false);
    const corpus = await ok('files.list', { path: at('corpus'), purpose: 'qa' });
    expect(corpus.entries.every((e) => e.selectable === e.name.endsWith('.jsonl'))).toBe(true);
    expect(list.roots.map((r) => r.label)).toEqual(['Home', 'Workspace', 'Testbed']);
    const missing = await call('files.list', { path: join(root, 'nope') });
    expect(missing).toMatchObject({ ok: false, error: { code: 'not-found' } });
    if (!missing.ok) expect(missing.error.message).toContain(join(root, 'nope'));
  });

  it('files.list says what it cannot offer: a dangling link, a loop, a FIFO', async () => {
    const folder = join(root, 'odd-entries');
    mkdirSync(folder);
    writeFileSync(join(folder, 'notes.txt'), 'fine\n');
    symlinkSync(join(folder, 'gone.txt'), join(folder, 'dangling.txt'));
    symlinkSync(join(folder, 'loop'), join(folder, 'loop'));
    execFileSync('mkfifo', [join(folder, 'pipe')]);
    const list = await ok('files.list', { path: folder, purpose: 'documents' });
    expect(list.entries.map((e) => e.name)).toEqual(['notes.txt']);
    expect(list.unlisted).toEqual([
      { name: 'dangling.txt', reason: 'a link to something that does not exist' },
      { name: 'loop', reason: 'a link that loops back on itself' },
      { name: 'pipe', reason: 'a named pipe (FIFO), not a file' },
    ]);
  });

  it('model.inspect: parameters, memory estimate, suggestion', async () => {
    const info = await ok('model.inspect', { path: at('model') });
    expect(info.inspect.parameters).toBeGreaterThan(100_000);
    expect(info.memory.fullParameterBytes).toBeGreaterThan(30 * info.inspect.parameters);
    // Bounded LoRA's frozen weights plus its full-size sine update: not always below full
    // training (bench/RESULTS.md "Memory estimate"), always above the frozen weights.
    expect(info.memory.loraBytes).toBeGreaterThan(4 * info.inspect.parameters);
    expect(info.memory.evalBytes).toBeLessThan(info.memory.fullParameterBytes);
    expect(info.memory.availableBytes).toBeGreaterThan(0);
    expect(info.suggestedMethod).toBe('graddiff'); // dense and small
  });

  it('model.prune magnitude 0.3: a sparse model under the workspace, SAU suggested', async () => {
    const info = await ok('model.prune', { path: at('model'), method: 'magnitude', sparsity: 0.3 });
    pruned = info.path;
    expect(pruned).toBe(join(root, 'data', 'nepenthe', 'runs', 'models', 'model-magnitude-0.3'));
    expect(info.inspect.sparsity).toBeGreaterThan(0.29);
    expect(info.inspect.sparsity).toBeLessThan(0.31);
    expect(info.suggestedMethod).toBe('sau');
    expect(events.some((e) => e.kind === 'task.progress' && e.task.startsWith('prune'))).toBe(true);
  });

  it('documents.describe: documents, tokens, PII; a bad file is an entry with its error', async () => {
    const bad = join(root, 'broken.jsonl');
    writeFileSync(bad, '{"text": "fine"}\nnot json\n');
    const { files } = await ok('documents.describe', {
      paths: [at('corpus/forget10.jsonl'), bad, at('qa')],
      model: at('model'),
      names: ['Bomeith Lainaibais'],
    });
    const [forget, broken, qa] = files;
    expect(forget).toMatchObject({ documents: 10, error: null });
    expect(forget!.tokens).toBeGreaterThan(forget!.characters / 10);
    expect(forget!.tokens).toBeLessThan(forget!.characters);
    // Each person has a birth date, email, phone, national id and IBAN; one is named.
    expect(forget!.piiSpans).toBeGreaterThanOrEqual(51);
    expect(broken!.error).toContain(bad);
    expect(broken!.documents).toBe(0);
    expect(qa!.bytes).toBeGreaterThan(0); // a folder: total of its files
    const pairs = await ok('documents.describe', { paths: [at('qa/forget10.jsonl')], set: 'qa' });
    expect(pairs.files[0]!.documents).toBeGreaterThan(0);
    expect(pairs.files[0]!.tokens).toBeNull();
  });

  it('documents.describe: a symlinked document is read and counted; bytes are what a run reads', async () => {
    const folder = join(root, 'linked-forget');
    mkdirSync(folder);
    writeFileSync(join(folder, 'a.txt'), 'Ada Lovelace\n'); // 13 bytes
    writeFileSync(join(root, 'outside-person.txt'), 'Grace Hopper, grace@example.org\n'); // 32
    symlinkSync(join(root, 'outside-person.txt'), join(folder, 'b.txt'));
    writeFileSync(join(folder, 'scan.png'), Buffer.alloc(1000)); // not a document: not read
    const { files } = await ok('documents.describe', { paths: [folder] });
    expect(files[0]).toMatchObject({ documents: 2, bytes: 45, piiSpans: 1, error: null });
  });

  it('documents.preview: spans point at the PII in the text', async () => {
    const p = await ok('documents.preview', {
      path: at('corpus/forget10.jsonl'),
      index: 0,
      names: ['Bomeith Lainaibais'],
    });
    expect(p.documentCount).toBe(10);
    const found = p.spans.map((s) => [s.kind, p.text.slice(s.start, s.end)]);
    expect(found).toContainEqual(['email', 'bomeith.lainaibais@example.org']);
    expect(found).toContainEqual(['name', 'Bomeith Lainaibais']);
    expect(found.some(([k, t]) => k === 'dob' && t === '13 October 1983')).toBe(true);
    const outOfRange = await call('documents.preview', {
      path: at('corpus/forget10.jsonl'),
      index: 10,
    });
    expect(outOfRange).toMatchObject({ ok: false, error: { code: 'bad-input' } });
  });

  it('methods.list: 9 methods, every key with the range its schema enforces, 9 presets', async () => {
    const list = await ok('methods.list', {});
    expect(list.methods.map((m) => m.name).sort()).toEqual([
      'bounded',
      'ga',
      'graddiff',
      'kl',
      'npo',
      'sau',
      'sga',
      'simnpo',
      'undial',
    ]);
    expect(list.methods.find((m) => m.name === 'sau')?.needsSparseModel).toBe(true);
    expect(list.methods.find((m) => m.name === 'ga')?.needsRetain).toBe(false);
    expect(list.methods.find((m) => m.name === 'bounded')?.defaults.lr).toBe(2e-4);
    const shapes = { ...CommonKeys.shape, ...MethodKeys.shape } as Record<
      string,
      { safeParse(v: unknown): { success: boolean } }
    >;
    expect(list.parameters.map((p) => p.key).sort()).toEqual(Object.keys(shapes).sort());
    for (const p of list.parameters) {
      const schema = shapes[p.key]!;
      expect(p.description.length).toBeGreaterThan(5);
      expect(schema.safeParse(p.default).success).toBe(true);
      if (p.type === 'enum') {
        expect(p.options!.length).toBeGreaterThan(1);
        for (const o of p.options!) expect(schema.safeParse(o).success).toBe(true);
        expect(schema.safeParse('no-such-option').success).toBe(false);
        continue;
      }
      // The range is the schema's: its edges accepted or refused exactly as stated.
      if (p.min !== null) {
        expect(schema.safeParse(p.min).success).toBe(!p.exclusiveMin);
        expect(schema.safeParse(p.min - 1).success).toBe(false);
      }
      if (p.max !== null) {
        expect(schema.safeParse(p.max).success).toBe(true);
        expect(schema.safeParse(p.max + 1).success).toBe(false);
      }
      if (p.min === null && p.max === null) expect(['seed', 'delta']).toContain(p.key);
    }
    expect(list.parameters.find((p) => p.key === 'lr')).toMatchObject({
      min: 0,
      exclusiveMin: true,
    });
    expect(list.parameters.find((p) => p.key === 'rank')).toMatchObject({ min: 1, max: 256 });
    expect(list.parameters.find((p) => p.key === 'rate')?.type).toBe('number-or-auto');
    expect(list.presets.map((p) => p.method).slice(0, 3)).toEqual(['sau', 'bounded', 'sga']);
    expect(list.presets).toHaveLength(9);
  });

  let runId: string;
  it('run.start SAU on the pruned model: events, status done, metrics and verdict', async () => {
    // Two retain files, to exercise the per-set folder of copies.
    const retain = readFileSync(at('corpus/retain.jsonl'), 'utf8').trim().split('\n');
    const retainA = join(root, 'retain-a.jsonl');
    const retainB = join(root, 'retain-b.jsonl');
    writeFileSync(retainA, `${retain.slice(0, 12).join('\n')}\n`);
    writeFileSync(retainB, `${retain.slice(12, 24).join('\n')}\n`);
    const badConfig = await call('run.start', {
      model: pruned,
      forget: [at('corpus/forget10.jsonl')],
      method: 'sau',
      config: { epochs: 1, rank: 4 },
    });
    expect(badConfig).toMatchObject({ ok: false, error: { code: 'bad-input' } });
    if (!badConfig.ok) expect(badConfig.error.message).toContain('"rank"');

    const started = await ok('run.start', {
      model: pruned,
      forget: [at('corpus/forget10.jsonl')],
      retain: [retainA, retainB],
      holdout: [at('corpus/holdout.jsonl')],
      method: 'sau',
      config: { lr: 0.003, epochs: 1, batchSize: 4, alpha: 3 },
    });
    runId = started.runId;
    expect(runId).toMatch(/^run-\d{8}-\d{6}-[0-9a-f]{4}$/);
    const busy = await call('run.start', {
      model: at('model'),
      forget: [at('corpus/forget10.jsonl')],
      method: 'ga',
    });
    expect(busy).toMatchObject({ ok: false, error: { code: 'busy' } });

    const end = await runEnded(runId);
    expect(end).toMatchObject({ state: 'done' });
    const mine = events.filter((e) => 'runId' in e && e.runId === runId);
    expect(mine.some((e) => e.kind === 'run.step')).toBe(true);
    expect(mine.some((e) => e.kind === 'run.progress' && e.phase === 'evalBefore')).toBe(true);
    expect(mine.some((e) => e.kind === 'run.progress' && e.phase === 'evalAfter')).toBe(true);
    expect(mine[0]).toMatchObject({ kind: 'run.state', state: 'running' });

    const status = await ok('run.status', { runId });
    expect(status.state).toBe('done');
    expect(status.steps.length).toBeGreaterThan(0);
    const details = await ok('runs.open', { runId });
    expect(details.metricsBefore).not.toBeNull();
    expect(details.metricsAfter).not.toBeNull();
    expect(details.verdict?.criteria.map((c) => c.id)).toEqual(['forget', 'mia', 'retain']);
    expect(details.outputs.model).toBe(join(started.runDir, 'model'));
    expect(details.manifest.inputs.retain?.path).toContain(join('.inputs', runId, 'retain'));
    expect(details.metricsBefore!.sets.retain!.documents).toBe(24);
  });

  it('report.sign needs a passphrase, then signs; verify finds it in the ledger; runs.list shows it', async () => {
    const none = await call('report.sign', { runId, certificate: { kind: 'default' } });
    expect(none).toMatchObject({ ok: false, error: { code: 'needs-passphrase' } });
    const signed = await ok('report.sign', {
      runId,
      certificate: { kind: 'default' },
      passphrase: 'correct horse',
      remember: true,
    });
    expect(signed.selfSigned).toBe(true);
    expect(signed.ledger.seq).toBe(1);
    expect((await ok('signing.status', {})).passphraseStored).toBe(true);
    // From the secret store now: no passphrase in the request.
    const again = await ok('report.sign', { runId, certificate: { kind: 'default' } });
    expect(again.ledger.seq).toBe(2);

    const verified = await ok('report.verify', { path: again.path });
    expect(verified.valid).toBe(true);
    expect(verified.ledger).toMatchObject({ found: true, seq: 2, chainValid: true });
    const missing = await call('report.verify', { path: join(root, 'none.pdf') });
    expect(missing).toMatchObject({ ok: false, error: { code: 'not-found' } });
    const notPdf = join(root, 'not.pdf');
    writeFileSync(notPdf, 'hello');
    expect(await call('report.verify', { path: notPdf })).toMatchObject({
      ok: false,
      error: { code: 'bad-input' },
    });

    const { runs } = await ok('runs.list', {});
    const listed = runs.find((r) => r.runId === runId);
    expect(listed).toMatchObject({ state: 'done', report: again.path, ledgerSeq: 2 });
    expect(listed?.verdict).toBe(again.verdict);

    const dest = join(root, 'exported.pdf');
    expect((await ok('report.export', { runId, dest })).bytes).toBeGreaterThan(10_000);
    expect(await call('report.export', { runId, dest })).toMatchObject({
      ok: false,
      error: { code: 'bad-input' },
    });
    const model = await ok('model.export', {
      runId,
      what: 'model',
      dest: join(root, 'exported-model'),
    });
    expect(model.bytes).toBeGreaterThan(1_000_000);
    expect(
      await call('model.export', { runId, what: 'adapter', dest: join(root, 'a') }),
    ).toMatchObject({
      ok: false,
      error: { code: 'not-found' },
    });
  });

  it('run.cancel checkpoints a run; after a restart run.resume needs the names again, then finishes it', async () => {
    const retain = join(root, 'retain-a.jsonl');
    const { runId: second } = await ok('run.start', {
      model: at('model'),
      forget: [at('corpus/forget01.jsonl')],
      retain: [retain],
      method: 'graddiff',
      config: { lr: 0.0005, epochs: 40, batchSize: 1 },
      names: ['Bomeith Lainaibais'],
    });
    await eventWhere((e) => e.kind === 'run.step' && e.runId === second);
    await ok('run.cancel', { runId: second });
    expect(await runEnded(second)).toMatchObject({ state: 'cancelled' });
    const stopped = await ok('run.status', { runId: second });
    expect(stopped).toMatchObject({ state: 'cancelled', resumable: true });
    const stepsBefore = stopped.steps.length;
    expect(stepsBefore).toBeGreaterThan(0);

    // A restart: the names to protect (personal data) were never stored.
    await backend.dispose();
    await startBackend();
    const withoutNames = await call('run.resume', { runId: second });
    expect(withoutNames).toMatchObject({ ok: false, error: { code: 'bad-input' } });
    expect(!withoutNames.ok && withoutNames.error.message).toMatch(/names to protect/);
    events.length = 0;
    await ok('run.resume', { runId: second, names: ['Bomeith Lainaibais'] });
    expect(await runEnded(second)).toMatchObject({ state: 'done' });
    const done = await ok('runs.open', { runId: second });
    expect(done.training?.resumedFrom).toBeGreaterThan(0);
    expect(done.manifest.resumes).toBe(1);
  });
});
