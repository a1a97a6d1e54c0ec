/**
 * `nepenthe unlearn` end to end through the real CLI on resources/tiny-gpt2: the written folder
 * is a complete HF model (source files byte for byte, weights in the source's dtype,
 * training.json) that inspect and score load; bounded keeps attention untouched and every MLP
 * update entry within (α/r)/√d_in; SAU keeps a pruned model's sparsity; bad input exits 2 with
 * one line and leaves nothing behind; Ctrl-C leaves a checkpoint that --resume finishes.
 */
import { spawn } from 'node:child_process';
import {
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  readdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { InspectReport, ScoreReport } from '../../src/shared/contracts.ts';
import { TrainingLog, UnlearnReport } from '../../src/shared/training.ts';
import { Checkpoint, SafetensorsFile } from '../../src/worker/model/safetensors/index.ts';
import { BIN, runCli } from './run-cli.ts';

const TINY = fileURLToPath(new URL('../../resources/tiny-gpt2', import.meta.url));
const SAMPLE = fileURLToPath(new URL('../../resources/demo/sample.txt', import.meta.url));
const BACKEND = ['--backend', 'wasm'];
const SMALL = { epochs: 2, batchSize: 2, maxLength: 64 };

const scratches: string[] = [];
function scratch(): string {
  const dir = mkdtempSync(join(tmpdir(), 'nepenthe-unlearn-'));
  scratches.push(dir);
  return dir;
}
afterAll(() => {
  for (const dir of scratches) rmSync(dir, { recursive: true, force: true });
});

/** Inputs shared by every test, outside the folders whose contents the tests check. */
const inputs = scratch();
const RETAIN = join(inputs, 'retain.jsonl');
writeFileSync(
  RETAIN,
  [
    'The river Tamsin flows north through the valley and meets the sea at Corran Bay.',
    'Bread is baked from flour, water, salt and yeast, then left to rise before baking.',
    'A compass needle points to magnetic north because of the magnetic field of the Earth.',
    'Tea is grown on hillsides where the rain is frequent and the soil drains well.',
  ]
    .map((text) => JSON.stringify({ text }))
    .join('\n') + '\n',
);

function configFile(config: unknown): string {
  const path = join(mkdtempSync(join(inputs, 'config-')), 'config.json');
  writeFileSync(path, typeof config === 'string' ? config : JSON.stringify(config));
  return path;
}

function unlearnArgs(model: string, out: string, method: string, config: unknown): string[] {
  return [
    'unlearn',
    model,
    '--forget',
    SAMPLE,
    '--retain',
    RETAIN,
    '--method',
    method,
    '--config',
    configFile(config),
    '--out',
    out,
    ...BACKEND,
  ];
}

async function unlearnOk(model: string, method: string, config: unknown) {
  const dir = scratch();
  const out = join(dir, 'unlearned');
  const { code, stdout, stderr } = await runCli([
    ...unlearnArgs(model, out, method, config),
    '--json',
  ]);
  expect(code, stderr).toBe(0);
  const report = UnlearnReport.parse(JSON.parse(stdout));
  expect(readdirSync(dir)).toEqual(['unlearned']); // no staging folder left
  return { report, out };
}

async function inspect(folder: string): Promise<InspectReport> {
  const { code, stdout, stderr } = await runCli(['inspect', folder, '--json']);
  expect(code, stderr).toBe(0);
  return InspectReport.parse(JSON.parse(stdout));
}

const bytes = (folder: string, file: string) => readFileSync(join(folder, file));

describe('nepenthe unlearn', () => {
  it('graddiff writes a complete HF folder that inspect and score load', async () => {
    const { report, out } = await unlearnOk(TINY, 'graddiff', SMALL);
    expect(report.method).toBe('graddiff');
    expect(report.out).toBe(out);
    expect(report.cancelled).toBe(false);
    expect(report.steps).toBe(report.totalSteps);
    expect(report.totalSteps).toBeGreaterThan(0);
    expect(report.retain!.sequences).toBe(4);

    expect(readdirSync(out).sort()).toEqual([...readdirSync(TINY), 'training.json'].sort());
    for (const file of ['config.json', 'tokenizer.json', 'tokenizer_config.json'])
      expect(bytes(out, file).equals(bytes(TINY, file)), file).toBe(true);

    const source = SafetensorsFile.open(join(TINY, 'model.safetensors'));
    const written = SafetensorsFile.open(join(out, 'model.safetensors'));
    expect(written.names.sort()).toEqual(source.names.sort());
    for (const name of source.names) {
      expect(written.entry(name)!.dtype, name).toBe(source.entry(name)!.dtype);
      expect(written.entry(name)!.shape, name).toEqual(source.entry(name)!.shape);
    }
    source.close();
    written.close();

    const log = TrainingLog.parse(JSON.parse(readFileSync(join(out, 'training.json'), 'utf8')));
    expect(log.method).toBe('graddiff');
    expect(log.totalSteps).toBe(report.totalSteps);
    expect(log.steps.map((s) => s.step)).toEqual(
      Array.from({ length: log.totalSteps }, (_, i) => i + 1),
    );
    expect(log.resumedFrom).toBe(0);
    expect(log.config).toMatchObject(SMALL);

    const before = await inspect(TINY);
    const after = await inspect(out);
    expect(after.sha256).not.toBe(before.sha256);
    expect(after.dtype).toBe(before.dtype);
    expect(after.parameters).toBe(before.parameters);

    const scored = await runCli(['score', out, '--data', SAMPLE, ...BACKEND, '--json']);
    expect(scored.code, scored.stderr).toBe(0);
    const nll = ScoreReport.parse(JSON.parse(scored.stdout)).documents[0]!.meanNll;
    expect(Number.isFinite(nll)).toBe(true);
  }, 300_000);

  it('bounded: adapter written, attention untouched, MLP updates within (α/r)/√d_in', async () => {
    const rank = 4;
    const loraAlpha = 0.05;
    const { out } = await unlearnOk(TINY, 'bounded', {
      ...SMALL,
      lr: 0.05,
      rank,
      loraAlpha,
      omega: 100,
    });
    const adapter = join(out, 'adapter');
    expect(existsSync(join(adapter, 'adapter_model.safetensors'))).toBe(true);
    const config = JSON.parse(readFileSync(join(adapter, 'adapter_config.json'), 'utf8')) as {
      r: number;
      lora_alpha: number;
      nepenthe: { bound: string; omega: number };
    };
    expect(config.r).toBe(rank);
    expect(config.lora_alpha).toBe(loraAlpha);
    expect(config.nepenthe.bound).toBe('sine');
    expect(config.nepenthe.omega).toBe(100);

    const source = Checkpoint.open(TINY);
    const written = Checkpoint.open(out);
    let mlp = 0;
    let largest = 0; // the largest |ΔW| / bound over all MLP weights
    for (const name of source.names) {
      const w0 = source.readFloat32(name);
      const w = written.readFloat32(name);
      if (/attn\.c_(attn|proj)\.weight$/.test(name)) {
        expect(Buffer.from(w.buffer).equals(Buffer.from(w0.buffer)), name).toBe(true);
      } else if (/mlp\.c_(fc|proj)\.weight$/.test(name)) {
        mlp++;
        expect(Buffer.from(w.buffer).equals(Buffer.from(w0.buffer)), name).toBe(false);
        // GPT-2's Conv1D stores [in, out].
        const dIn = source.entry(name)!.shape[0]!;
        const bound = loraAlpha / rank / Math.sqrt(dIn);
        for (let i = 0; i < w.length; i++) {
          const delta = Math.abs(w[i]! - w0[i]!);
          // float32 merge: a few ulps (2^-23 relative) of the larger magnitude
          const ulps = 4 * 2 ** -23 * Math.max(Math.abs(w0[i]!), Math.abs(w[i]!));
          if (delta > bound + ulps) expect.fail(`${name}[${i}]: |ΔW| ${delta} > ${bound}`);
          largest = Math.max(largest, delta / bound);
        }
      }
    }
    source.close();
    written.close();
    expect(mlp).toBe(4);
    // the bound is reached in places, so the check above is not vacuous
    expect(largest).toBeGreaterThan(0.5);
  }, 300_000);

  it('sau on a magnitude-pruned model keeps its sparsity exactly', async () => {
    const pruned = join(scratch(), 'pruned');
    const prune = await runCli([
      'prune',
      TINY,
      '--method',
      'magnitude',
      '--sparsity',
      '0.5',
      '--out',
      pruned,
      ...BACKEND,
    ]);
    expect(prune.code, prune.stderr).toBe(0);
    const { out } = await unlearnOk(pruned, 'sau', { ...SMALL, lr: 1e-3 });
    const before = await inspect(pruned);
    const after = await inspect(out);
    expect(before.sparsity).toBeCloseTo(0.5, 6);
    expect(after.sparsity).toBe(before.sparsity);
    expect(after.sha256).not.toBe(before.sha256);
  }, 300_000);

  describe('bad input: exit 2, one line, no output or staging folder', () => {
    const junk = join(inputs, 'junk.txt');
    writeFileSync(junk, Buffer.from([0x00, 0xff, 0xfe, 0x13, 0x80, 0x00, 0x9c, 0xc3, 0x28]));
    const empty = join(inputs, 'empty.txt');
    writeFileSync(empty, '');
    const missing = join(inputs, 'no-such-forget.txt');
    const missingConfig = join(inputs, 'no-such-config.json');
    const notJson = configFile('{"lr": 1e-3,');

    /** [case, method, config (object, or a path when a string), argument edits, message] */
    type Case = [string, string, unknown, (args: string[]) => string[], RegExp];
    const same = (args: string[]) => args;
    const withArg = (flag: string, value: string) => (args: string[]) => {
      const i = args.indexOf(flag);
      return [...args.slice(0, i + 1), value, ...args.slice(i + 2)];
    };
    const without = (flag: string) => (args: string[]) => {
      const i = args.indexOf(flag);
      return [...args.slice(0, i), ...args.slice(i + 2)];
    };
    const cases: Case[] = [
      ['unknown method', 'forgetful', SMALL, same, /forgetful.*ga.*graddiff.*bounded/],
      ['unknown config key', 'graddiff', { lrate: 1 }, same, /"lrate".*lr, epochs/],
      ['a key of another method', 'graddiff', { omega: 3 }, same, /"omega".*not a graddiff key/],
      ['negative lr', 'graddiff', { lr: -1 }, same, /"lr".*-1/],
      ['epochs 0', 'graddiff', { epochs: 0 }, same, /"epochs".*0/],
      ['bound cosine', 'bounded', { bound: 'cosine' }, same, /"bound".*cosine/],
      ['config not JSON', 'graddiff', SMALL, withArg('--config', notJson), /not valid JSON/],
      [
        'config file missing',
        'graddiff',
        SMALL,
        withArg('--config', missingConfig),
        /cannot read the config/,
      ],
      ['missing forget', 'graddiff', SMALL, withArg('--forget', missing), /no such file/],
      ['empty forget', 'graddiff', SMALL, withArg('--forget', empty), /empty|no text/],
      ['binary forget', 'graddiff', SMALL, withArg('--forget', junk), /binary|UTF-8|NUL/],
      ['graddiff without retain', 'graddiff', SMALL, without('--retain'), /--retain/],
      ['sau on a dense model', 'sau', SMALL, same, /pruned model.*nepenthe prune/],
      ['sga k beyond the retain set', 'sga', { ...SMALL, k: 9 }, same, /k = 9.*retain/],
    ];
    const files: Record<string, string> = {
      'config not JSON': notJson,
      'config file missing': missingConfig,
      'missing forget': missing,
      'empty forget': empty,
      'binary forget': junk,
    };

    it.each(cases)('%s', async (label, method, config, edit, message) => {
      const dir = scratch();
      const out = join(dir, 'unlearned');
      const { code, stderr } = await runCli(edit(unlearnArgs(TINY, out, method, config)));
      expect(code, stderr).toBe(2);
      expect(stderr.trim().split('\n'), stderr).toHaveLength(1);
      expect(stderr).toMatch(message);
      expect(stderr).not.toMatch(/\n\s+at /);
      if (files[label]) expect(stderr).toContain(files[label]);
      expect(readdirSync(dir)).toEqual([]);
    });

    it('an existing non-empty --out is refused and left as it was', async () => {
      const dir = scratch();
      const out = join(dir, 'unlearned');
      mkdirSync(out);
      writeFileSync(join(out, 'keep.txt'), 'mine');
      const { code, stderr } = await runCli(unlearnArgs(TINY, out, 'graddiff', SMALL));
      expect(code, stderr).toBe(2);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toContain(out);
      expect(stderr).toMatch(/not empty/);
      expect(readdirSync(dir)).toEqual(['unlearned']);
      expect(readdirSync(out)).toEqual(['keep.txt']);
    });

    it('--resume without a checkpoint', async () => {
      const dir = scratch();
      const out = join(dir, 'unlearned');
      const { code, stderr } = await runCli([
        ...unlearnArgs(TINY, out, 'graddiff', SMALL),
        '--resume',
      ]);
      expect(code, stderr).toBe(2);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(/no checkpoint/);
      expect(stderr).toContain(out);
      expect(readdirSync(dir)).toEqual([]);
    });
  });

  it('Ctrl-C after a step leaves a checkpoint; --resume finishes every step', async () => {
    const dir = scratch();
    const out = join(dir, 'unlearned');
    const checkpoint = join(dir, '.unlearned.partial', 'checkpoint');
    // 40 steps, a checkpoint after each: the signal lands within a step or two of the first
    // checkpoint, far from the end even on a fast machine.
    const args = unlearnArgs(TINY, out, 'graddiff', { ...SMALL, epochs: 20, checkpointEvery: 1 });

    const child = spawn(process.execPath, [BIN, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk));
    const closed = new Promise<number | null>((resolve) => child.on('close', resolve));
    // Off a TTY the progress is one line per 2 s, so "a step has finished" is watched on disk:
    // the first checkpoint (checkpointEvery 1) is written after step 1.
    let signalled = false;
    const poll = setInterval(() => {
      if (existsSync(join(checkpoint, 'state.json'))) {
        signalled = true;
        clearInterval(poll);
        child.kill('SIGINT');
      }
    }, 10);
    const code = await closed;
    clearInterval(poll);
    expect(signalled, stderr).toBe(true);
    expect(code, stderr).toBe(1);
    expect(stderr).toMatch(/cancelling/);
    expect(stderr).toMatch(/--resume/);
    expect(stderr).not.toMatch(/\n\s+at /);
    expect(existsSync(out)).toBe(false);
    expect(readdirSync(dir)).toEqual(['.unlearned.partial']);
    expect(readdirSync(checkpoint).sort()).toEqual(['state.json', 'state.safetensors']);

    const resumed = await runCli([...args, '--resume', '--json']);
    expect(resumed.code, resumed.stderr).toBe(0);
    const report = UnlearnReport.parse(JSON.parse(resumed.stdout));
    expect(report.resumedFrom).toBeGreaterThan(0);
    expect(report.resumedFrom).toBeLessThan(report.totalSteps);
    expect(readdirSync(dir)).toEqual(['unlearned']);
    const log = TrainingLog.parse(JSON.parse(readFileSync(join(out, 'training.json'), 'utf8')));
    expect(log.resumedFrom).toBe(report.resumedFrom);
    expect(log.steps.map((s) => s.step)).toEqual(
      Array.from({ length: log.totalSteps }, (_, i) => i + 1),
    );
  }, 300_000);
});
