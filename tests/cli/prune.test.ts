/**
 * `nepenthe prune` through the real CLI on resources/tiny-gpt2: the written folder is a
 * complete model whose measured sparsity is the target, and bad input exits 2 with one line
 * and leaves no folder behind.
 */
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { InspectReport, PruneReport, ScoreReport } from '../../src/shared/contracts.ts';
import { Checkpoint } from '../../src/worker/model/safetensors/index.ts';
import { runCli } from './run-cli.ts';

const TINY = fileURLToPath(new URL('../../resources/tiny-gpt2', import.meta.url));
const SAMPLE = fileURLToPath(new URL('../../resources/demo/sample.txt', import.meta.url));
const BACKEND = ['--backend', 'wasm'];

const scratch = () => mkdtempSync(join(tmpdir(), 'nepenthe-prune-'));

async function pruneOk(args: string[]): Promise<{ report: PruneReport; out: string }> {
  const out = join(scratch(), 'pruned');
  const { code, stdout, stderr } = await runCli([
    'prune',
    TINY,
    ...args,
    '--out',
    out,
    ...BACKEND,
    '--json',
  ]);
  expect(code, stderr).toBe(0);
  return { report: PruneReport.parse(JSON.parse(stdout)), out };
}

async function inspect(folder: string): Promise<InspectReport> {
  const { code, stdout, stderr } = await runCli(['inspect', folder, '--json']);
  expect(code, stderr).toBe(0);
  return InspectReport.parse(JSON.parse(stdout));
}

describe('nepenthe prune', () => {
  it('magnitude --sparsity 0.5: inspect measures 0.5, the folder loads and scores', async () => {
    const { report, out } = await pruneOk(['--method', 'magnitude', '--sparsity', '0.5']);
    const inspected = await inspect(out);
    expect(inspected.sparsity).toBeCloseTo(0.5, 6);
    expect(report.sparsity).toBeCloseTo(inspected.sparsity, 12);
    expect(report.sha256).toBe(inspected.sha256);
    expect(inspected.dtype).toBe('float32');
    expect(report.layers).toHaveLength(8);
    for (const l of report.layers) expect(l.sparsity).toBe(0.5);
    expect(readdirSync(out).sort()).toEqual(readdirSync(TINY).sort());

    const scored = await runCli(['score', out, '--data', SAMPLE, ...BACKEND, '--json']);
    expect(scored.code, scored.stderr).toBe(0);
    const doc = ScoreReport.parse(JSON.parse(scored.stdout)).documents[0]!;
    expect(doc.meanNll).not.toBeNull();
    expect(Number.isFinite(doc.meanNll)).toBe(true);
    // the pruned model predicts differently from the original
    const original = await runCli(['score', TINY, '--data', SAMPLE, ...BACKEND, '--json']);
    expect(ScoreReport.parse(JSON.parse(original.stdout)).documents[0]!.meanNll).not.toBe(
      doc.meanNll,
    );
  }, 300_000);

  it('magnitude --pattern 2:4 gives 0.5 with exactly 2 zeros in every group of 4 inputs', async () => {
    const { report, out } = await pruneOk(['--method', 'magnitude', '--pattern', '2:4']);
    expect(report.pattern).toBe('2:4');
    expect((await inspect(out)).sparsity).toBe(0.5);
    // GPT-2 Conv1D weights are stored [in, out]: input j of output i is at j*out + i.
    const checkpoint = Checkpoint.open(out);
    const name = checkpoint.names.find((n) => n.endsWith('h.1.mlp.c_proj.weight'))!;
    const [inDim, outDim] = checkpoint.entry(name)!.shape as [number, number];
    const w = checkpoint.readFloat32(name);
    checkpoint.close();
    for (let i = 0; i < outDim; i++)
      for (let g = 0; g < inDim; g += 4) {
        let zeros = 0;
        for (let j = g; j < g + 4; j++) if (w[j * outDim + i] === 0) zeros++;
        expect(zeros).toBe(2);
      }
  }, 300_000);

  it('wanda with --calib prunes per output row and reports its calibration', async () => {
    const { report, out } = await pruneOk([
      '--method',
      'wanda',
      '--sparsity',
      '0.5',
      '--calib',
      SAMPLE,
    ]);
    expect(report.method).toBe('wanda');
    expect(report.calibration!.sequences).toBeGreaterThan(0);
    expect(report.calibration!.tokens).toBeLessThanOrEqual(128 * 32);
    expect((await inspect(out)).sparsity).toBeCloseTo(0.5, 6);
    const magnitude = await pruneOk(['--method', 'magnitude', '--sparsity', '0.5']);
    expect(report.sha256).not.toBe(magnitude.report.sha256);
  }, 300_000);

  describe('bad input: exit 2, one line, no output folder', () => {
    const cases: [string, string[], RegExp][] = [
      [
        'both targets',
        ['--method', 'magnitude', '--sparsity', '0.5', '--pattern', '2:4'],
        /exactly one/,
      ],
      ['no target', ['--method', 'magnitude'], /exactly one/],
      ['sparsity 1.5', ['--method', 'magnitude', '--sparsity', '1.5'], /--sparsity.*1\.5/],
      ['bad pattern', ['--method', 'magnitude', '--pattern', '4:2'], /--pattern/],
      ['wanda without --calib', ['--method', 'wanda', '--sparsity', '0.5'], /--calib/],
      ['unknown method', ['--method', 'random', '--sparsity', '0.5'], /magnitude, wanda/],
      [
        'missing calib',
        ['--method', 'wanda', '--sparsity', '0.5', '--calib', '/nonexistent/x.txt'],
        /\/nonexistent\/x\.txt/,
      ],
    ];
    it.each(cases)('%s', async (_, args, message) => {
      const out = join(scratch(), 'pruned');
      const { code, stderr } = await runCli(['prune', TINY, ...args, '--out', out, ...BACKEND]);
      expect(code, stderr).toBe(2);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toMatch(message);
      expect(existsSync(out)).toBe(false);
      expect(readdirSync(join(out, '..'))).toEqual([]);
    });

    it('missing model', async () => {
      const dir = scratch();
      const out = join(dir, 'pruned');
      const model = join(dir, 'no-model');
      const { code, stderr } = await runCli([
        'prune',
        model,
        '--method',
        'magnitude',
        '--sparsity',
        '0.5',
        '--out',
        out,
        ...BACKEND,
      ]);
      expect(code, stderr).toBe(2);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toContain(model);
      expect(readdirSync(dir)).toEqual([]);
    });

    it('existing non-empty --out is refused and left as it was', async () => {
      const out = join(scratch(), 'pruned');
      mkdirSync(out);
      writeFileSync(join(out, 'keep.txt'), 'mine');
      const { code, stderr } = await runCli([
        'prune',
        TINY,
        '--method',
        'magnitude',
        '--sparsity',
        '0.5',
        '--out',
        out,
        ...BACKEND,
      ]);
      expect(code, stderr).toBe(2);
      expect(stderr.trim().split('\n')).toHaveLength(1);
      expect(stderr).toContain(out);
      expect(readdirSync(out)).toEqual(['keep.txt']);
      expect(readdirSync(join(out, '..'))).toEqual(['pruned']);
    });
  });
});
