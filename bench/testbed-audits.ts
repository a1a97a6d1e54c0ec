/**
 * Every method as an officer runs it: `nepenthe audit`'s task (runAudit) on a testbed with no
 * `--config` (calibrated mode: half the holdout steers the run, the other half is evaluated),
 * the testbed's reference model and QA pairs (forget10's and retain's), then the verdict the signed report would carry
 * (judge, DEFAULT_THRESHOLDS). With `--presets`, each method is also audited with the
 * testbed's preset (a fixed lr and epochs), the uncalibrated run calibrated mode replaces, for
 * the cost comparison. `sau` runs on a 50 %-magnitude-pruned copy of the testbed model.
 *
 *   node --import tsx bench/testbed-audits.ts [--testbed resources/testbed] [--methods a,b]
 *     [--seeds 0,1,2] [--presets] [--out bench/results/testbed-audits.json]
 */
import {
  copyFileSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
  existsSync,
} from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { DEFAULT_THRESHOLDS, judge } from '../src/main/report/verdict.ts';
import type { AuditRequest } from '../src/shared/audit.ts';
import type { EvalReport } from '../src/shared/contracts.ts';
import { TrainingLog } from '../src/shared/training.ts';
import { selectBackend } from '../src/worker/engine/backend.ts';
import { runAudit } from '../src/worker/tasks/audit.ts';
import { pruneToFolder, readPruneInputs } from '../src/worker/tasks/prune.ts';

const ALL = [
  'ga',
  'graddiff',
  'kl',
  'npo',
  'simnpo',
  'undial',
  'targetnll',
  'sga',
  'sau',
  'bounded',
];

const { values } = parseArgs({
  options: {
    testbed: { type: 'string', default: 'resources/testbed' },
    methods: { type: 'string', default: ALL.join(',') },
    seeds: { type: 'string', default: '0' },
    presets: { type: 'boolean', default: false },
    out: { type: 'string', default: 'bench/results/testbed-audits.json' },
  },
});
const bed = values.testbed;
const at = (p: string) => join(bed, p);

interface Row {
  method: string;
  seed: number;
  mode: 'calibrated' | 'preset';
  forgetExact: [number | null, number | null];
  referenceForgetExact: number | null;
  retainExact: [number | null, number | null];
  lossAuc: number | null;
  minKAuc: number | null;
  referenceMinKAuc: number | null;
  privLeak: number | null;
  forgetQuality: number | null;
  modelUtility: [number | null, number | null];
  verdict: 'PASS' | 'FAIL';
  failed: string[];
  steps: number;
  totalSteps: number;
  backoffs: number | null;
  stoppedAt: number | null;
  trainSeconds: number;
  auditSeconds: number;
}

const utility = (r: EvalReport) => r.modelUtility?.value ?? null;

/** QA pairs: the forget people's and the retain people's (model utility needs the latter). */
let qaFolder = '';

async function audit(method: string, model: string, seed: number, config: string | undefined) {
  const out = mkdtempSync(join(tmpdir(), `nepenthe-bench-audit-${method}-`));
  rmSync(out, { recursive: true });
  const request: AuditRequest = {
    model,
    forget: at('corpus/forget10.jsonl'),
    retain: at('corpus/retain.jsonl'),
    holdout: at('corpus/holdout.jsonl'),
    qa: qaFolder,
    reference: at('reference'),
    method,
    ...(config ? { config } : {}),
    out,
    backend: 'wasm',
    seed,
  };
  const began = performance.now();
  try {
    const result = await runAudit(request);
    const auditSeconds = (performance.now() - began) / 1000;
    const before = result.metricsBefore;
    const after = result.metricsAfter!;
    const log = TrainingLog.parse(JSON.parse(readFileSync(join(out, 'training.json'), 'utf8')));
    const verdict = judge(before, after, DEFAULT_THRESHOLDS);
    const decisions = log.calibration?.decisions;
    const row: Row = {
      method,
      seed,
      mode: config ? 'preset' : 'calibrated',
      forgetExact: [before.sets.forget.verbatim.exactRate, after.sets.forget.verbatim.exactRate],
      referenceForgetExact: after.sets.forget.referenceVerbatimExactRate ?? null,
      retainExact: [
        before.sets.retain?.verbatim.exactRate ?? null,
        after.sets.retain?.verbatim.exactRate ?? null,
      ],
      lossAuc: after.mia?.loss?.auc ?? null,
      minKAuc: after.mia?.minK?.auc ?? null,
      referenceMinKAuc: after.mia?.minK?.referenceAuc ?? null,
      privLeak: after.privLeak,
      forgetQuality: after.forgetQuality,
      modelUtility: [utility(before), utility(after)],
      verdict: verdict.pass ? 'PASS' : 'FAIL',
      failed: verdict.criteria.filter((c) => c.pass !== true).map((c) => c.id),
      steps: log.steps.length,
      totalSteps: log.totalSteps,
      backoffs: decisions ? decisions.filter((d) => d.action === 'backoff').length : null,
      stoppedAt: log.stoppedEarly?.step ?? null,
      trainSeconds: result.training.seconds,
      auditSeconds,
    };
    return row;
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}

const fmt = (v: number | null | undefined, digits = 2) =>
  v === null || v === undefined ? '–' : v.toFixed(digits);

function table(rows: readonly Row[]): string {
  const lines = [
    '| method | seed | mode | forget exact | retain exact | Min-K% AUC (ref) | loss AUC | PrivLeak | utility | steps (budget) | back-offs | train s | audit s | verdict |',
    `|${' --- |'.repeat(14)}`,
  ];
  for (const r of rows)
    lines.push(
      `| ${r.method} | ${r.seed} | ${r.mode} | ${fmt(r.forgetExact[0])} → ${fmt(r.forgetExact[1])} | ${fmt(r.retainExact[0], 3)} → ${fmt(r.retainExact[1], 3)} | ${fmt(r.minKAuc)} (${fmt(r.referenceMinKAuc)}) | ${fmt(r.lossAuc)} | ${fmt(r.privLeak, 1)} | ${fmt(r.modelUtility[0], 3)} → ${fmt(r.modelUtility[1], 3)} | ${r.steps} (${r.totalSteps}) | ${r.backoffs ?? '–'} | ${r.trainSeconds.toFixed(1)} | ${r.auditSeconds.toFixed(1)} | ${r.verdict}${r.failed.length ? ` (${r.failed.join(', ')})` : ''} |`,
    );
  return lines.join('\n');
}

async function main(): Promise<void> {
  await selectBackend('wasm');
  const methods = values.methods.split(',').filter((m) => m !== '');
  const seeds = values.seeds.split(',').map(Number);
  const scratch = mkdtempSync(join(tmpdir(), 'nepenthe-bench-audits-'));
  const rows: Row[] = [];
  qaFolder = join(scratch, 'qa');
  mkdirSync(qaFolder);
  for (const file of ['forget10.jsonl', 'retain.jsonl'])
    copyFileSync(at(`qa/${file}`), join(qaFolder, file));
  try {
    let pruned: string | undefined;
    const modelFor = async (method: string) => {
      if (method !== 'sau') return at('model');
      if (pruned === undefined) {
        pruned = join(scratch, 'pruned');
        const request = { model: at('model'), method: 'magnitude', sparsity: '0.5', out: pruned };
        await pruneToFolder(request, await readPruneInputs(request));
      }
      return pruned;
    };
    for (const method of methods)
      for (const seed of seeds) {
        const model = await modelFor(method);
        const preset = at(`presets/${method}.json`);
        const configs = [undefined, ...(values.presets && existsSync(preset) ? [preset] : [])];
        for (const config of configs) {
          const row = await audit(method, model, seed, config);
          console.error(JSON.stringify(row));
          rows.push(row);
        }
      }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  mkdirSync(join(values.out, '..'), { recursive: true });
  const command = `node --import tsx bench/testbed-audits.ts ${process.argv.slice(2).join(' ')}`;
  writeFileSync(
    values.out,
    `${JSON.stringify({ command: command.trim(), testbed: bed, loadAverage: loadavg(), rows }, null, 1)}\n`,
  );
  console.log(table(rows));
}

await main();
