/**
 * `nepenthe audit` end to end through the real CLI on the shipped testbed (a model that has
 * memorized forget05, its reference trained without it): the run folder holds both metrics
 * documents, a loadable model, training.json and a manifest whose hashes are the files' and
 * that holds no forget text; forgetting shows in the numbers; bad input exits 2 and creates
 * no run folder; Ctrl-C leaves a run marked cancelled with no model/, and --resume finishes it.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { AuditResult, RunManifest } from '../../src/shared/audit.ts';
import { EvalReport, InspectReport } from '../../src/shared/contracts.ts';
import { TrainingLog } from '../../src/shared/training.ts';
import { BIN, runCli } from './run-cli.ts';

const testbed = (p: string) =>
  fileURLToPath(new URL(`../../resources/testbed/${p}`, import.meta.url));
const MODEL = testbed('model');
const REFERENCE = testbed('reference');
const FORGET = testbed('corpus/forget05.jsonl');
const HOLDOUT = testbed('corpus/holdout.jsonl');
const SMALL = { lr: 1e-3, epochs: 3, batchSize: 4, maxLength: 128 };

const scratches: string[] = [];
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nepenthe-audit-'));
  scratches.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of scratches) rmSync(dir, { recursive: true, force: true });
});

// A tenth of the retain people keeps the evaluations short.
const inputs = scratch();
/** An audit ends with a signed report: the default identity and ledger in a scratch folder. */
const SIGNING = {
  NEPENTHE_KEY_PASSPHRASE: 'audit test passphrase',
  XDG_CONFIG_HOME: join(inputs, 'xdg'),
};
const RETAIN = join(inputs, 'retain.jsonl');
writeFileSync(
  RETAIN,
  readFileSync(testbed('corpus/retain.jsonl'), 'utf8').split('\n').slice(0, 10).join('\n') + '\n',
);
function configFile(config: unknown): string {
  const path = join(mkdtempSync(join(inputs, 'config-')), 'config.json');
  writeFileSync(path, JSON.stringify(config));
  return path;
}

function auditArgs(out: string, config: unknown, method = 'graddiff'): string[] {
  return [
    'audit',
    '--model',
    MODEL,
    '--forget',
    FORGET,
    '--retain',
    RETAIN,
    '--holdout',
    HOLDOUT,
    '--reference',
    REFERENCE,
    '--method',
    method,
    '--config',
    configFile(config),
    '--out',
    out,
    '--backend',
    'wasm',
  ];
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');
const readManifest = (runDir: string) =>
  RunManifest.parse(JSON.parse(readFileSync(join(runDir, 'manifest.json'), 'utf8')));
const readMetrics = (runDir: string, name: string) =>
  EvalReport.parse(JSON.parse(readFileSync(join(runDir, name), 'utf8')));

function jsonFilesUnder(folder: string): string[] {
  return readdirSync(folder).flatMap((name) => {
    const path = join(folder, name);
    if (statSync(path).isDirectory()) return jsonFilesUnder(path);
    return name.endsWith('.json') ? [path] : [];
  });
}

describe('nepenthe audit', () => {
  it('writes metrics before and after, the model, training.json and the manifest', async () => {
    const runDir = join(scratch(), 'run');
    const { code, stdout, stderr } = await runCli([...auditArgs(runDir, SMALL), '--json'], SIGNING);
    expect(code, stderr).toBe(0);
    const result = AuditResult.parse(JSON.parse(stdout));
    expect(result.state).toBe('done');
    expect(result.runDir).toBe(runDir);
    expect(readdirSync(runDir).sort()).toEqual([
      'manifest.json',
      'metrics-after.json',
      'metrics-before.json',
      'model',
      'report.pdf',
      'training.json',
    ]);
    // The run ends with a signed report that verifies and is in the ledger.
    const { report } = JSON.parse(stdout) as { report: { path: string; ledger: { seq: number } } };
    expect(report.path).toBe(join(runDir, 'report.pdf'));
    expect(report.ledger.seq).toBeGreaterThanOrEqual(1);
    const verified = await runCli(['verify', report.path, '--json'], SIGNING);
    expect(verified.code, verified.stderr).toBe(0);
    expect(JSON.parse(verified.stdout)).toMatchObject({
      valid: true,
      ledger: { found: true, chainValid: true },
    });
    const before = readMetrics(runDir, 'metrics-before.json');
    const after = readMetrics(runDir, 'metrics-after.json');
    expect(before).toEqual(result.metricsBefore);
    expect(after).toEqual(result.metricsAfter);
    // The testbed model reproduces every forget05 biography; three epochs of GradDiff break that.
    expect(before.sets.forget.verbatim.exactRate).toBe(1);
    expect(after.sets.forget.verbatim.exactRate!).toBeLessThan(
      before.sets.forget.verbatim.exactRate!,
    );
    expect(after.sets.forget.meanNll!).toBeGreaterThan(before.sets.forget.meanNll!);
    expect(before.privLeak).not.toBeNull();

    const log = TrainingLog.parse(JSON.parse(readFileSync(join(runDir, 'training.json'), 'utf8')));
    expect(readFileSync(join(runDir, 'training.json'), 'utf8')).toBe(
      readFileSync(join(runDir, 'model', 'training.json'), 'utf8'),
    );
    expect(log.steps).toHaveLength(result.training.totalSteps);
    expect(log.config).toMatchObject(SMALL);

    const manifest = readManifest(runDir);
    expect(manifest.state).toBe('done');
    expect(manifest.finished).not.toBeNull();
    expect(manifest.method).toBe('graddiff');
    expect(manifest.backend).toBe('wasm');
    expect(manifest.config).toMatchObject(SMALL);
    expect(manifest.inputs.forget.sha256).toBe(sha256(FORGET));
    expect(manifest.inputs.forget.bytes).toBe(statSync(FORGET).size);
    expect(manifest.inputs.retain!.sha256).toBe(sha256(RETAIN));
    expect(manifest.inputs.holdout!.sha256).toBe(sha256(HOLDOUT));
    expect(manifest.inputs.model.sha256).toBe(sha256(join(MODEL, 'model.safetensors')));
    expect(manifest.inputs.reference!.sha256).toBe(sha256(join(REFERENCE, 'model.safetensors')));
    expect(manifest.inputs.model.sha256).toBe(before.model.sha256);
    expect(manifest.versions.node).toBe(process.versions.node);
    for (const phase of ['evalBefore', 'unlearn', 'evalAfter'] as const)
      expect(manifest.timings[phase], phase).toBeGreaterThan(0);

    // The unlearned model loads, and is what the manifest and metrics-after name.
    const inspected = await runCli(['inspect', join(runDir, 'model'), '--json']);
    expect(inspected.code, inspected.stderr).toBe(0);
    const info = InspectReport.parse(JSON.parse(inspected.stdout));
    expect(info.sha256).toBe(manifest.output.model!.sha256);
    expect(info.sha256).toBe(after.model.sha256);
    expect(info.sha256).not.toBe(before.model.sha256);

    // No forget-set text in any JSON of the run folder.
    const firstForget = (
      JSON.parse(readFileSync(FORGET, 'utf8').split('\n')[0]!) as { text: string }
    ).text;
    const sentence = firstForget.split('. ')[1]!;
    expect(sentence.length).toBeGreaterThan(20);
    for (const file of jsonFilesUnder(runDir))
      expect(readFileSync(file, 'utf8'), file).not.toContain(sentence);
  }, 240_000);

  describe('bad input: exit 2, one line, no run folder', () => {
    const cases: [string, (out: string) => string[], RegExp][] = [
      [
        'missing forget',
        (out) => {
          const args = auditArgs(out, SMALL);
          args[args.indexOf('--forget') + 1] = join(inputs, 'no-such-forget.jsonl');
          return args;
        },
        /no-such-forget\.jsonl: no such file/,
      ],
      ['unknown method', (out) => auditArgs(out, {}, 'forgetful'), /forgetful.*graddiff/],
      ['unknown config key', (out) => auditArgs(out, { lrate: 1 }), /"lrate"/],
      [
        'no --out',
        (out) =>
          auditArgs(out, SMALL).filter((a, i, all) => a !== '--out' && all[i - 1] !== '--out'),
        /--out is required/,
      ],
      // Good inputs, but the report could not be signed: refused before any work is done.
      [
        'no signing passphrase and no terminal',
        (out) => auditArgs(out, SMALL),
        /NEPENTHE_KEY_PASSPHRASE/,
      ],
    ];
    it.each(cases)('%s', async (_label, args, message) => {
      const dir = scratch();
      const noPassphrase = {
        NEPENTHE_KEY_PASSPHRASE: '',
        XDG_CONFIG_HOME: join(inputs, 'xdg-none'),
      };
      const { code, stderr } = await runCli(args(join(dir, 'run')), noPassphrase);
      expect(code, stderr).toBe(2);
      expect(stderr.trim().split('\n'), stderr).toHaveLength(1);
      expect(stderr).toMatch(message);
      expect(readdirSync(dir)).toEqual([]);
    });

    it('an existing non-empty run folder is refused and left as it was', async () => {
      const dir = scratch();
      const runDir = join(dir, 'run');
      mkdirSync(runDir);
      writeFileSync(join(runDir, 'keep.txt'), 'mine');
      const { code, stderr } = await runCli(auditArgs(runDir, SMALL));
      expect(code, stderr).toBe(2);
      expect(stderr).toMatch(/not empty/);
      expect(readdirSync(runDir)).toEqual(['keep.txt']);
    });

    it('--resume of a folder that is not a run', async () => {
      const dir = scratch();
      const { code, stderr } = await runCli(['audit', '--resume', join(dir, 'run')]);
      expect(code, stderr).toBe(2);
      expect(stderr).toMatch(/no such run folder/);
      expect(readdirSync(dir)).toEqual([]);
    });
  });

  it('Ctrl-C marks the run cancelled with no model/; --resume finishes it', async () => {
    const dir = scratch();
    const runDir = join(dir, 'run');
    const checkpoint = join(runDir, '.model.partial', 'checkpoint');
    // 40 steps with a checkpoint after each: the signal lands a step or two after the first.
    const args = auditArgs(runDir, { ...SMALL, epochs: 20, checkpointEvery: 1 });
    const child = spawn(process.execPath, [BIN, ...args], {
      env: { ...process.env, ...SIGNING },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    let sawRunning = false;
    let signalled = false;
    const poll = setInterval(() => {
      if (!sawRunning && existsSync(join(runDir, 'manifest.json')))
        sawRunning = readManifest(runDir).state === 'running';
      if (existsSync(join(checkpoint, 'state.json'))) {
        signalled = true;
        clearInterval(poll);
        child.kill('SIGINT');
      }
    }, 10);
    const code = await closed;
    clearInterval(poll);
    expect(signalled, stderr).toBe(true);
    expect(sawRunning).toBe(true);
    expect(code, stderr).toBe(1);
    expect(stderr).toMatch(/cancelled.*--resume/);
    expect(stderr).not.toMatch(/\n\s+at /);

    const cancelled = readManifest(runDir);
    expect(cancelled.state).toBe('cancelled');
    expect(cancelled.training!.cancelled).toBe(true);
    expect(cancelled.output.model).toBeNull();
    expect(existsSync(join(runDir, 'model'))).toBe(false);
    expect(existsSync(join(runDir, 'metrics-after.json'))).toBe(false);
    expect(existsSync(join(runDir, 'metrics-before.json'))).toBe(true);
    const beforeBytes = readFileSync(join(runDir, 'metrics-before.json'), 'utf8');

    // A resume that disagrees with the manifest is refused and changes nothing.
    const other = await runCli(['audit', '--resume', runDir, '--method', 'ga']);
    expect(other.code, other.stderr).toBe(2);
    expect(other.stderr).toMatch(/another method/);
    expect(readManifest(runDir).state).toBe('cancelled');

    const resumed = await runCli(['audit', '--resume', runDir, '--json'], SIGNING);
    expect(resumed.code, resumed.stderr).toBe(0);
    const result = AuditResult.parse(JSON.parse(resumed.stdout));
    expect(result.state).toBe('done');
    expect(result.training.resumedFrom).toBeGreaterThan(0);
    expect(result.training.resumedFrom).toBeLessThan(result.training.totalSteps);
    expect(readFileSync(join(runDir, 'metrics-before.json'), 'utf8')).toBe(beforeBytes);
    expect(readMetrics(runDir, 'metrics-after.json')).toEqual(result.metricsAfter);
    const done = readManifest(runDir);
    expect(done.state).toBe('done');
    expect(done.resumes).toBe(1);
    expect(done.message).toBeNull();
    expect(readdirSync(runDir).sort()).toEqual([
      'manifest.json',
      'metrics-after.json',
      'metrics-before.json',
      'model',
      'report.pdf',
      'training.json',
    ]);
    const log = TrainingLog.parse(JSON.parse(readFileSync(join(runDir, 'training.json'), 'utf8')));
    expect(log.steps.map((s) => s.step)).toEqual(
      Array.from({ length: log.totalSteps }, (_, i) => i + 1),
    );

    // A finished run is not resumed again.
    const again = await runCli(['audit', '--resume', runDir]);
    expect(again.code, again.stderr).toBe(2);
    expect(again.stderr).toMatch(/already done/);
  }, 300_000);
});
