/**
 * A real model's shape through the real CLI: a random-weight BF16 checkpoint with SmolLM2-135M's
 * exact config (scripts/make-real-shape.ts; 134.5M parameters, 30 layers, vocabulary 49,152),
 * inspected, refused by the memory pre-flight when the memory is capped, unlearned for one
 * GradDiff step on the default (native) backend, and the result written back as BF16.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRealShape } from '../../scripts/make-real-shape.ts';
import { runCli } from './run-cli.ts';

let root: string;
let model: string;

beforeAll(() => {
  root = mkdtempSync(join(tmpdir(), 'nepenthe-real-shape-'));
  model = join(root, 'smollm2-135m');
  writeRealShape('smollm2-135m', model, { shardBytes: 128 * 2 ** 20 }); // sharded: 2 files + index
}, 120_000);

afterAll(() => rmSync(root, { recursive: true, force: true }));

const docs = (name: string, texts: string[]): string => {
  const path = join(root, `${name}.jsonl`);
  writeFileSync(path, texts.map((text) => JSON.stringify({ text })).join('\n'));
  return path;
};

/** `unlearn` arguments for GradDiff on one forget and one retain document (files tagged `tag`). */
const graddiff = (tag: string, out: string, ...extra: string[]): string[] => [
  'unlearn',
  model,
  '--forget',
  docs(`forget-${tag}`, ['Anna Berg lives at 4 Elm Street and her phone is 555 0100.']),
  '--retain',
  docs(`retain-${tag}`, ['The museum opens at nine and closes at five on weekdays.']),
  '--method',
  'graddiff',
  '--out',
  out,
  ...extra,
];

describe('SmolLM2-135M shape', () => {
  it('inspect reports the real parameter count, dtype and layers', async () => {
    const result = await runCli(['inspect', model, '--json']);
    expect(result.code, result.stderr).toBe(0);
    const report = JSON.parse(result.stdout) as Record<string, unknown>;
    expect(report).toMatchObject({
      architecture: 'llama',
      parameters: 134_515_008,
      layers: 30,
      hidden: 576,
      vocab: 49152,
      dtype: 'bfloat16',
    });
  }, 120_000);

  it('the pre-flight refuses a run that cannot fit, with exit 2 and the numbers', async () => {
    const result = await runCli(graddiff('a', join(root, 'refused')), {
      NEPENTHE_MEMORY_LIMIT: String(2 ** 30),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(
      /needs about \d+\.\d GiB of memory \(estimate; \d+\.\d GiB with gradient checkpointing\), but 1\.0 GiB is available; would fit: /,
    );
    expect(result.stderr).not.toMatch(/Error:|\n\s+at /);
  }, 120_000);

  it('an allocation that fails inside a kernel is reported as out of memory, with advice', async () => {
    const config = join(root, 'config-oom.json');
    writeFileSync(config, JSON.stringify({ epochs: 1, batchSize: 1, maxLength: 32 }));
    const result = await runCli(graddiff('c', join(root, 'oom'), '--config', config), {
      NEPENTHE_ALLOC_LIMIT: String(64 * 2 ** 20), // the 113 MiB embedding gradient cannot fit
    });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(
      /failed: out of memory: could not allocate \d+ MiB for a tensor; use fewer tokens per step/,
    );
    expect(result.stderr).not.toMatch(/Aborted|memory access out of bounds/);
  }, 120_000);

  it('one GradDiff step runs and writes a BF16 model folder', async () => {
    const config = join(root, 'config.json');
    writeFileSync(config, JSON.stringify({ epochs: 1, batchSize: 1, maxLength: 32 }));
    const out = join(root, 'unlearned');
    const result = await runCli(graddiff('b', out, '--config', config, '--json'));
    expect(result.code, result.stderr).toBe(0);
    expect(result.stderr).toMatch(/backend: native/);
    const report = JSON.parse(result.stdout) as { steps: number; finalLoss: number };
    expect(report.steps).toBeGreaterThanOrEqual(1);
    expect(Number.isFinite(report.finalLoss)).toBe(true);
    const inspect = await runCli(['inspect', out, '--json']);
    expect(JSON.parse(inspect.stdout)).toMatchObject({
      parameters: 134_515_008,
      dtype: 'bfloat16',
    });
    expect(readFileSync(join(out, 'training.json'), 'utf8')).toContain('"method": "graddiff"');
  }, 300_000);
});
