/**
 * `nepenthe eval --json` on the bundled testbed against the same numbers recomputed in PyTorch
 * from the reference implementations' definitions (issue 16; docs/metrics.md "Agreement on the
 * testbed"): tests/fixtures/metrics-standard/recompute_testbed.py wrote
 * testbed-recomputed.json for the model against the reference and for the reference against
 * itself, on exactly the inputs below. The second describe reruns that script when
 * /usr/bin/python3 has torch and nltk (CI: scripts/install-system-deps.sh) and checks it still
 * writes the committed fixture.
 *
 * Tolerances (measured differences are in docs/metrics.md; most are 0): PrivLeak 1, extraction
 * strength and exact memorization 0.01, ROUGE-L 0.005, the zlib attack's AUC exact, the other
 * AUCs 0.01, per-window attack scores 1e-4 (float32 here, float64 there).
 */
import { execFile, spawnSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EvalReport } from '../../src/shared/contracts.ts';
import { evalTestbed } from './testbed-eval.ts';

const root = (p: string) => fileURLToPath(new URL(`../../${p}`, import.meta.url));
const testbed = (p: string) => root(`resources/testbed/${p}`);
const SCRIPT = root('tests/fixtures/metrics-standard/recompute_testbed.py');
const FIXTURE = root('tests/fixtures/metrics-standard/testbed-recomputed.json');
const PYTHON = '/usr/bin/python3';

const SETS = ['forget', 'retain', 'holdout'] as const;
const ATTACKS = ['loss', 'zlib', 'minK', 'minKpp', 'reference'] as const;

interface PythonAttack {
  auc: number;
  tprAt1pctFpr: number;
  referenceAuc?: number;
  scores: { forget: number[]; holdout: number[] };
}
interface PythonRun {
  sets: Record<
    (typeof SETS)[number],
    {
      documents: number;
      tokens: number;
      meanNll: number;
      referenceMeanNll: number;
      exactMemorization: number;
      extractionStrength: number;
      verbatim: { rougeL: number; exactRate: number; scored: number };
    }
  >;
  knowledge: Record<'forget' | 'retain', { rougeL: number; pairs: number }>;
  mia: Record<(typeof ATTACKS)[number], PythonAttack>;
  privLeak: number;
}
interface Recomputed {
  modelVsReference: PythonRun;
  referenceVsItself: PythonRun;
}

let work: string;
let qaDir: string;

/** The eval of `model` with every input the fixture was computed on (QA: forget10 and retain). */
async function evalJson(model: string): Promise<EvalReport> {
  const extra = ['--retain', testbed('corpus/retain.jsonl'), '--qa', qaDir];
  return (await evalTestbed(model, [...extra, '--reference', testbed('reference')])).report;
}

/** max |a − b| over paired lists. */
function maxAbsDiff(a: readonly number[], b: readonly number[]): number {
  expect(a.length).toBe(b.length);
  return Math.max(0, ...a.map((x, i) => Math.abs(x - b[i]!)));
}

function compare(ours: EvalReport, python: PythonRun): void {
  for (const name of SETS) {
    // Loose objects: `referenceMeanNll` and the per-window `scores` are extra keys.
    const set = ours.sets[name]! as EvalReport['sets']['forget'] & { referenceMeanNll: number };
    const want = python.sets[name];
    expect(set.documents, name).toBe(want.documents);
    expect(set.tokens, `${name}: same tokenization`).toBe(want.tokens);
    expect(Math.abs(set.meanNll! - want.meanNll), `${name}.meanNll`).toBeLessThan(1e-5);
    expect(
      Math.abs(set.referenceMeanNll - want.referenceMeanNll),
      `${name}.referenceMeanNll`,
    ).toBeLessThan(1e-5);
    expect(
      Math.abs(set.exactMemorization! - want.exactMemorization),
      `${name}.exactMemorization`,
    ).toBeLessThanOrEqual(0.01);
    expect(
      Math.abs(set.extractionStrength! - want.extractionStrength),
      `${name}.extractionStrength`,
    ).toBeLessThanOrEqual(0.01);
    expect(
      Math.abs(set.verbatim.rougeL! - want.verbatim.rougeL),
      `${name}.verbatim.rougeL`,
    ).toBeLessThanOrEqual(0.005);
    expect(set.verbatim.exactRate, `${name}.verbatim.exactRate`).toBe(want.verbatim.exactRate);
    expect(set.verbatim.scored).toBe(want.verbatim.scored);
  }
  const knowledge = ours.knowledge as Record<string, { rougeL: number; pairs: number }>;
  for (const group of ['forget', 'retain'] as const) {
    expect(knowledge[group]!.pairs).toBe(python.knowledge[group].pairs);
    expect(
      Math.abs(knowledge[group]!.rougeL - python.knowledge[group].rougeL),
      `knowledge.${group}.rougeL`,
    ).toBeLessThanOrEqual(0.005);
  }
  for (const attack of ATTACKS) {
    const got = ours.mia![attack]! as { auc: number; tprAt1pctFpr: number } & {
      referenceAuc?: number;
      scores: { forget: number[]; holdout: number[] };
    };
    const want = python.mia[attack];
    if (attack === 'zlib') expect(got.auc, 'mia.zlib.auc').toBe(want.auc);
    else expect(Math.abs(got.auc - want.auc), `mia.${attack}.auc`).toBeLessThanOrEqual(0.01);
    expect(Math.abs(got.tprAt1pctFpr - want.tprAt1pctFpr), `mia.${attack}.tpr`).toBeLessThan(0.1);
    if (want.referenceAuc !== undefined) {
      if (attack === 'zlib') expect(got.referenceAuc).toBe(want.referenceAuc);
      else expect(Math.abs(got.referenceAuc! - want.referenceAuc)).toBeLessThanOrEqual(0.01);
    }
    for (const set of ['forget', 'holdout'] as const) {
      expect(
        maxAbsDiff(got.scores[set], want.scores[set]),
        `mia.${attack}.scores.${set}`,
      ).toBeLessThan(1e-4);
    }
  }
  expect(ours.privLeak).not.toBeNull();
  expect(Math.abs(ours.privLeak! - python.privLeak), 'privLeak').toBeLessThanOrEqual(1);
}

beforeAll(async () => {
  work = await mkdtemp(join(tmpdir(), 'nepenthe-recompute-'));
  // `--qa` takes one path; a folder with the forget10 and retain pairs (retain by file name).
  qaDir = join(work, 'qa');
  await mkdir(qaDir);
  for (const file of ['forget10.jsonl', 'retain.jsonl'])
    await copyFile(testbed(`qa/${file}`), join(qaDir, file));
});

afterAll(async () => {
  await rm(work, { recursive: true, force: true });
});

describe('nepenthe eval on the testbed agrees with the PyTorch recomputation', () => {
  let python: Recomputed;
  beforeAll(async () => {
    python = JSON.parse(await readFile(FIXTURE, 'utf8')) as Recomputed;
  });

  it('the memorizing model against the reference', async () => {
    const report = await evalJson(testbed('model'));
    compare(report, python.modelVsReference);
    // MUSE's PrivLeak of a model whose forget set is fully recognised (Min-K% AUC 1) against
    // a reference at AUC 0.71: (0.71 − 1)/(1 − 0.71)·100 = −100. Tolerance 1: one misranked
    // forget/holdout pair of the 200 would already give −98.3.
    expect(Math.abs(report.privLeak! + 100)).toBeLessThanOrEqual(1);
    expect(Math.abs(python.modelVsReference.privLeak + 100)).toBeLessThanOrEqual(1);
    expect(report.sets.forget!.extractionStrength!).toBeGreaterThan(0.8);
    expect(report.sets.holdout!.extractionStrength!).toBeLessThan(0.05);
  }, 180_000);

  it('the reference against itself: PrivLeak 0', async () => {
    const report = await evalJson(testbed('reference'));
    compare(report, python.referenceVsItself);
    expect(report.privLeak).toBe(0);
    expect(python.referenceVsItself.privLeak).toBe(0);
  }, 180_000);
});

/** Whether /usr/bin/python3 can run the script (torch and nltk importable). */
const havePython =
  spawnSync(PYTHON, ['-c', 'import torch, nltk'], { stdio: 'ignore', timeout: 60_000 }).status ===
  0;

describe.skipIf(!havePython)('recompute_testbed.py', () => {
  it('still writes the committed fixture', async () => {
    const out = join(work, 'recomputed.json');
    await promisify(execFile)(PYTHON, [SCRIPT, '--out', out], { timeout: 170_000 });
    const fresh = JSON.parse(await readFile(out, 'utf8')) as unknown;
    const committed = JSON.parse(await readFile(FIXTURE, 'utf8')) as unknown;
    // float64 on other CPUs or BLAS builds may round the last bits differently.
    const flatten = (v: unknown, path = ''): [string, unknown][] =>
      v !== null && typeof v === 'object'
        ? Object.entries(v).flatMap(([k, x]) => flatten(x, `${path}.${k}`))
        : [[path, v]];
    const want = new Map(flatten(committed));
    const got = flatten(fresh);
    expect(got.map(([k]) => k)).toEqual([...want.keys()]);
    for (const [key, value] of got) {
      if (key === '.torch') continue; // the version string; the numbers must agree anyway
      const expected = want.get(key);
      if (typeof value === 'number' && typeof expected === 'number')
        expect(Math.abs(value - expected), key).toBeLessThanOrEqual(
          1e-9 * (1 + Math.abs(expected)),
        );
      else expect(value, key).toEqual(expected);
    }
  }, 180_000);
});
