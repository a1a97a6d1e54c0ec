/**
 * The pipelines of bench/sau-after-pruning.ts (bench/unlearn-then-prune.ts) on the tiny GPT-2
 * (resources/tiny-gpt2, random weights) with a few synthetic people: every row is there; every
 * pruned folder has half of each block linear weight at zero (± one per row of rounding, Wanda
 * prunes per output row); the evaluation of a pruned row read the weights the pruning wrote;
 * SAU keeps the zeros, the dense method on a pruned model does not.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../../src/worker/engine/backend.ts';
import { loadModelSpec } from '../../src/worker/model/config.ts';
import { isBlockLinearWeight } from '../../src/worker/model/weight-names.ts';
import { readStoredParameters } from '../../src/worker/model/weights.ts';
import {
  markdownTable,
  originalRows,
  rowLabel,
  seedRows,
  type Row,
  type Setting,
} from '../../bench/unlearn-then-prune.ts';
import { syntheticPeople } from '../metrics/synthetic-people.ts';

const TINY = fileURLToPath(new URL('../../resources/tiny-gpt2', import.meta.url));

/** Per block linear weight of a model folder: where its zeros are, size and shape, from the files. */
function linearZeros(folder: string) {
  return readStoredParameters(folder, loadModelSpec(folder), ({ checkpoint, layout, keys }) =>
    layout
      .filter((p) => isBlockLinearWeight(p.name))
      .map((p) => {
        const values = checkpoint.readFloat32(keys.get(p.name)!);
        const at = [...values.keys()].filter((i) => values[i] === 0);
        return { name: p.name, shape: p.shape, size: values.length, zeros: at.length, at };
      }),
  );
}

let dir: string;
let rows: Row[];

beforeAll(async () => {
  await selectBackend('wasm');
  dir = mkdtempSync(join(tmpdir(), 'nepenthe-unlearn-then-prune-'));
  const texts = syntheticPeople(7, 11).map((p) => p.text);
  const write = (name: string, set: readonly string[]) => {
    const file = join(dir, `${name}.jsonl`);
    writeFileSync(file, set.map((text) => JSON.stringify({ text })).join('\n'));
    return file;
  };
  const budget = { lr: 1e-3, epochs: 1, batchSize: 2 };
  const scratch = join(dir, 'scratch');
  mkdirSync(scratch);
  const setting: Setting = {
    scratch,
    backend: 'wasm',
    model: TINY,
    forget: write('forget', texts.slice(0, 2)),
    retain: write('retain', texts.slice(2, 5)),
    holdout: write('holdout', texts.slice(5)),
    pruners: ['magnitude', 'wanda'],
    sparsity: 0.5,
    pruneCalibration: join(dir, 'retain.jsonl'),
    dense: [{ name: 'graddiff', method: 'graddiff', config: budget }],
    sau: [{ name: 'sau', method: 'sau', config: budget }],
  };
  const original = await originalRows(setting);
  rows = [...original.rows, ...(await seedRows(setting, original.pruned, 0))];
}, 120_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

const of = (stage: Row['stage'], pruner: string | null = null) =>
  rows.filter((r) => r.stage === stage && r.pruner === pruner);

describe('dense unlearning, then pruning (bench/unlearn-then-prune.ts)', () => {
  it('has every row once, and the table a line for each', () => {
    expect(rows.map(rowLabel)).toEqual([
      'before (original)',
      'pruned magnitude, before unlearning',
      'pruned wanda, before unlearning',
      'graddiff (dense)',
      'graddiff → pruned magnitude',
      'graddiff → pruned wanda',
      'pruned magnitude → graddiff (dense, mask not kept)',
      'pruned wanda → graddiff (dense, mask not kept)',
      'pruned magnitude → sau',
      'pruned wanda → sau',
    ]);
    const table = markdownTable(rows).split('\n');
    expect(table).toHaveLength(2 + rows.length);
    for (const row of rows.slice(3)) expect(row.seed).toBe(0);
  });

  it('prunes half of every block linear weight, of the original and of the unlearned model', () => {
    const pruned = [...of('pruned', 'magnitude'), ...of('pruned', 'wanda')];
    pruned.push(...of('dense-then-pruned', 'magnitude'), ...of('dense-then-pruned', 'wanda'));
    expect(pruned).toHaveLength(4);
    for (const row of pruned) {
      const matrices = linearZeros(row.model);
      expect(matrices).toHaveLength(8); // 2 blocks × c_attn, attn.c_proj, c_fc, mlp.c_proj
      for (const m of matrices)
        expect(Math.abs(m.zeros - m.size / 2), `${row.model} ${m.name}`).toBeLessThanOrEqual(
          row.pruner === 'wanda' ? Math.max(...m.shape) / 2 : 0.5,
        );
      expect(row.metrics.sparsity).toBeCloseTo(0.5, 3);
    }
    expect(of('before')[0]!.metrics.sparsity).toBe(0);
    expect(of('dense')[0]!.metrics.sparsity).toBe(0);
  });

  it('evaluates the weights the pruning wrote', () => {
    const dense = of('dense')[0]!;
    for (const pruner of ['magnitude', 'wanda']) {
      const row = of('dense-then-pruned', pruner)[0]!;
      expect(row.prunedSha256).toMatch(/^[0-9a-f]{64}$/);
      expect(row.metrics.sha256).toBe(row.prunedSha256);
      expect(row.metrics.sha256).not.toBe(dense.metrics.sha256);
      expect(row.metrics.forgetNll).not.toBe(dense.metrics.forgetNll);
      expect(row.model).not.toBe(dense.model);
    }
  });

  it('keeps the zeros under SAU, and loses them under the dense method', () => {
    for (const pruner of ['magnitude', 'wanda']) {
      const before = linearZeros(of('pruned', pruner)[0]!.model);
      const sau = linearZeros(of('sau-on-pruned', pruner)[0]!.model);
      expect(sau.map((m) => m.at)).toEqual(before.map((m) => m.at)); // the same positions
      expect(of('dense-on-pruned', pruner)[0]!.metrics.sparsity).toBeLessThan(0.1);
    }
  });
});
