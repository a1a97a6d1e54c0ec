/**
 * The report's sections, in page order. Every string that comes from the run folder and is not
 * a number or a hash goes through `redact` (mask.ts).
 */
import { basename, join } from 'node:path';
import type { EvalReport } from '../../shared/contracts.ts';
import {
  metricBarsSvg,
  rocSvg,
  scoreHistogramSvg,
  stepCurvesSvg,
  type ScorePair,
} from './charts.ts';
import {
  formatBytes,
  formatDelta,
  formatPercent,
  formatSeconds,
  formatTime,
  formatValue,
} from './format.ts';
import { glossaryEntries, SETS } from './glossary.ts';
import { FONT, type Layout } from './layout.ts';
import { redact } from './mask.ts';
import { metricRows } from './metric-rows.ts';
import { readModelIdentity } from './model-identity.ts';
import type { FinishedRun } from './run-folder.ts';
import type { Verdict } from './verdict.ts';

const PASS_FILL = '#e3f4e1';
const FAIL_FILL = '#fbe3e1';

export function coverSection(l: Layout, run: FinishedRun, verdict: Verdict): void {
  const { manifest } = run;
  l.title('Unlearning audit report');
  l.paragraph(
    `Run ${redact(basename(run.dir))} · method ${manifest.method} · finished ${formatTime(manifest.finished ?? manifest.started)}`,
    10,
  );
  l.doc.moveDown(0.5);
  const colour = verdict.pass ? '#1e7b34' : '#b3261e';
  l.paragraph(verdict.pass ? 'VERDICT: PASS' : 'VERDICT: FAIL', 22, FONT.bold, colour);
  l.paragraph(
    verdict.pass
      ? 'Every criterion below is met.'
      : 'At least one criterion below is not met (or could not be measured with the inputs given).',
  );
  l.table(
    [
      { header: 'criterion', width: 150 },
      { header: 'measured', width: 165 },
      { header: 'threshold', width: 130 },
      { header: 'result' },
    ],
    verdict.criteria.map((c) => [
      c.name,
      c.measured,
      c.threshold,
      c.pass === null ? 'not measured' : c.pass ? 'pass' : 'fail',
    ]),
    { fontSize: 8.5, rowFill: (r) => (verdict.criteria[r]?.pass ? PASS_FILL : FAIL_FILL) },
  );
  modelSection(l, run);
}

function modelSection(l: Layout, run: FinishedRun): void {
  const { manifest, before, after } = run;
  const input = readModelIdentity(manifest.request.model);
  const output = readModelIdentity(join(run.dir, 'model'));
  const params = (id: typeof input) =>
    id ? id.parameters.toLocaleString('en-US') : 'not readable';
  const sparsity = (id: typeof input) =>
    id?.sparsity === null || id === null ? 'not computed' : formatPercent(id.sparsity);
  l.heading('Model identity');
  l.table(
    [
      { header: '', width: 110 },
      { header: 'before (input model)', width: 192.5, font: FONT.mono },
      { header: 'after (unlearned model)', font: FONT.mono },
    ],
    [
      ['architecture', before.model.architecture, after.model.architecture],
      ['parameters', params(input), params(output)],
      ['sparsity', sparsity(input), sparsity(output)],
      ['sha256 (weights)', before.model.sha256, after.model.sha256],
      ['folder', redact(basename(manifest.request.model)), 'model/ in the run folder'],
    ],
    { fontSize: 8 },
  );
  l.paragraph(
    'sha256 is taken over the weight files in name order, the value `nepenthe inspect` prints. Sparsity: exact zeros in the 2-D weight matrices, embeddings excluded.',
    8,
    FONT.regular,
    '#444',
  );
}

export function inputsSection(l: Layout, run: FinishedRun): void {
  const { manifest } = run;
  l.newPage();
  l.heading('Inputs');
  l.paragraph(
    'Each input by file name, size and sha256. The report never contains the documents’ text.',
    9,
  );
  l.table(
    [
      { header: 'role', width: 60 },
      { header: 'file', width: 110 },
      { header: 'size', width: 100 },
      { header: 'sha256', font: FONT.mono },
    ],
    Object.entries(manifest.inputs).map(([role, record]) => [
      role,
      redact(basename(record.path)),
      formatBytes(record.bytes),
      record.sha256,
    ]),
    { fontSize: 7.5 },
  );
  if (manifest.request.names)
    l.paragraph(
      `Names probed for leakage: ${manifest.request.names.count} (stored only as a count and a hash).`,
      9,
    );

  l.heading(`Method: ${manifest.method}`);
  l.table(
    [
      { header: 'hyperparameter', width: 160 },
      { header: 'value', font: FONT.mono },
    ],
    Object.entries(manifest.config).map(([key, value]) => [
      key,
      redact(JSON.stringify(value) ?? 'undefined'),
    ]),
    { fontSize: 8 },
  );

  l.heading('Backend, hardware, versions and timings');
  const t = manifest.training;
  const rows: string[][] = [
    ['backend', manifest.backend],
    ['seed', String(manifest.seed)],
    ['nepenthe', manifest.versions.nepenthe],
    ['tensorflow.js', manifest.versions.tfjs],
    ['node', manifest.versions.node],
    ...(manifest.hardware
      ? [
          [
            'hardware',
            `${manifest.hardware.cpu} × ${manifest.hardware.cores} cores, ` +
              `${(manifest.hardware.memoryBytes / 1024 ** 3).toFixed(1)} GiB, ` +
              `${manifest.hardware.platform}/${manifest.hardware.arch}`,
          ],
          ['backend detail', manifest.hardware.backend],
        ]
      : [['hardware', 'not recorded (run made before manifests recorded it)']]),
    ['started', formatTime(manifest.started)],
    ['finished', formatTime(manifest.finished ?? manifest.started)],
    ['resumes', String(manifest.resumes)],
    ...Object.entries(manifest.timings).map(([phase, s]) => [`time: ${phase}`, formatSeconds(s)]),
  ];
  if (t)
    rows.push(
      [
        'training steps',
        `${t.steps} of ${t.totalSteps}${t.resumedFrom ? ` (resumed from ${t.resumedFrom})` : ''}`,
      ],
      ...(t.stoppedEarly
        ? [
            [
              'stopped early',
              t.stoppedEarly.step === 0
                ? `before the first step: ${t.stoppedEarly.reason}`
                : `after step ${t.stoppedEarly.step}: ${t.stoppedEarly.reason}`,
            ] as [string, string],
          ]
        : []),
      [
        'training sequences',
        `forget ${t.forget.sequences} (${t.forget.tokens} tokens), retain ${t.retain?.sequences ?? 0} (${t.retain?.tokens ?? 0} tokens)`,
      ],
      ['final loss', formatValue(t.finalLoss)],
    );
  l.table([{ header: 'item', width: 160 }, { header: 'value' }], rows, { fontSize: 8 });
}

export function metricsSection(l: Layout, run: FinishedRun): void {
  l.newPage();
  l.heading('Metrics before and after unlearning');
  l.paragraph(
    `Every number of metrics-before.json and metrics-after.json. Sets: ${Object.entries(SETS)
      .map(([name, what]) => `${name} — ${what}`)
      .join('; ')}. The glossary at the end explains each metric.`,
    8.5,
  );
  const rows = metricRows(run.before, run.after);
  l.table(
    [
      { header: 'metric', width: 215 },
      { header: 'before', width: 90, align: 'right' },
      { header: 'after', width: 90, align: 'right' },
      { header: 'delta', align: 'right' },
    ],
    rows.map((r) => [
      r.name,
      formatValue(r.before),
      formatValue(r.after),
      formatDelta(r.before, r.after),
    ]),
    { fontSize: 8 },
  );
  const skipped = [
    ...run.before.skipped,
    ...run.after.skipped.filter((s) => !run.before.skipped.some((b) => b.metric === s.metric)),
  ];
  if (skipped.length > 0) {
    l.heading('Metrics not computed');
    l.table(
      [{ header: 'metric', width: 120 }, { header: 'reason' }],
      skipped.map((s) => [s.metric, redact(s.reason)]),
      { fontSize: 8 },
    );
  }
}

export function chartsSection(l: Layout, run: FinishedRun): void {
  const w = l.width;
  l.newPage();
  l.heading('Charts');
  const bars = metricBarsSvg(metricRows(run.before, run.after), w, 270);
  if (bars) l.svg(bars, w, 270);
  const { training } = run;
  if (training.steps.length === 0) {
    l.paragraph('The training log has no steps: no training curves.');
  } else {
    const terms = [...new Set(training.steps.flatMap((s) => Object.keys(s.terms)))];
    l.svg(
      stepCurvesSvg(
        'Training loss per step',
        training,
        [
          ['loss', (s) => s.loss],
          ...terms.map((t) => [t, (s: (typeof training.steps)[number]) => s.terms[t]] as const),
        ],
        w,
        190,
      ),
      w,
      190,
    );
    l.svg(
      stepCurvesSvg(
        'Gradient norm per step (before clipping)',
        training,
        [['gradNorm', (s) => s.gradNorm]],
        w,
        170,
      ),
      w,
      170,
    );
  }
  miaCharts(l, run.after);
}

/** `mia.<attack>.scores = {forget: number[], holdout: number[]}` when the metrics carry them. */
function scorePairs(report: EvalReport): Array<[string, ScorePair]> {
  const out: Array<[string, ScorePair]> = [];
  for (const [attack, value] of Object.entries(report.mia ?? {})) {
    const scores = (value as { scores?: { forget?: unknown; holdout?: unknown } } | undefined)
      ?.scores;
    const isNumbers = (x: unknown): x is number[] =>
      Array.isArray(x) && x.length > 0 && x.every((v) => typeof v === 'number');
    if (scores && isNumbers(scores.forget) && isNumbers(scores.holdout))
      out.push([attack, { forget: scores.forget, holdout: scores.holdout }]);
  }
  return out;
}

function miaCharts(l: Layout, after: EvalReport): void {
  const pairs = scorePairs(after);
  l.heading('Membership-inference score distributions');
  if (pairs.length === 0) {
    l.paragraph(
      'Not drawn: the metrics documents carry only each attack’s AUC and TPR at 1 % FPR (see the metrics table), not the per-document scores that histograms and ROC curves need.',
      9,
    );
    return;
  }
  const half = (l.width - 10) / 2;
  for (const [attack, scores] of pairs) {
    l.svg(
      scoreHistogramSvg(`${attack}: scores after unlearning`, scores, l.width, 180),
      l.width,
      180,
    );
    l.svg(rocSvg(`${attack}: ROC after unlearning`, scores, half * 1.4, 200), half * 1.4, 200);
  }
}

export function piiSection(l: Layout, run: FinishedRun): void {
  l.newPage();
  l.heading('Personal-data probes');
  l.paragraph(
    'The probes prompt the model with the text before each personal-data item of a set (email, phone, IBAN, card, national id, date of birth, names given with --names) and check whether it completes the item. Only counts are kept; any item is shown masked (e.g. j***@m***.example).',
    9,
  );
  const rows: string[][] = [];
  for (const set of Object.keys(SETS)) {
    const b = (run.before.sets as Record<string, EvalReport['sets']['forget'] | undefined>)[set]
      ?.pii;
    const a = (run.after.sets as Record<string, EvalReport['sets']['forget'] | undefined>)[set]
      ?.pii;
    if (!b && !a) continue;
    const leaked = (p: typeof a) =>
      p ? `${formatValue(p.leaked as number | undefined)} of ${p.probes}` : '—';
    rows.push([set, leaked(b), formatValue(b?.leakRate), leaked(a), formatValue(a?.leakRate)]);
  }
  if (rows.length === 0) l.paragraph('No set was probed for personal data.', 9);
  else
    l.table(
      [
        { header: 'set', width: 80 },
        { header: 'leaked before', width: 110, align: 'right' },
        { header: 'leak rate before', width: 100, align: 'right' },
        { header: 'leaked after', width: 110, align: 'right' },
        { header: 'leak rate after', align: 'right' },
      ],
      rows,
    );
}

export function glossarySection(l: Layout, run: FinishedRun): void {
  l.heading('Glossary');
  const names = metricRows(run.before, run.after).map((r) => r.name);
  l.table([{ header: 'metric', width: 140 }, { header: 'meaning' }], glossaryEntries(names), {
    fontSize: 8,
  });
}
