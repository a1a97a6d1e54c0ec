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
import { glossaryEntries, SETS } from '../../shared/glossary.ts';
import { FONT, type Layout } from './layout.ts';
import { redact } from './mask.ts';
import { FORGET_QUALITY_FALLBACK_ROW, metricRows, type MetricRow } from './metric-rows.ts';
import { readModelIdentity } from './model-identity.ts';
import type { FinishedRun } from './run-folder.ts';
import type { Verdict } from './verdict.ts';

const PASS_FILL = '#e3f4e1';
const FAIL_FILL = '#fbe3e1';

/** The verdict's criteria with their exact numbers, and the model's identity (the old cover). */
export function verdictDetailsSection(l: Layout, run: FinishedRun, verdict: Verdict): void {
  l.newPage();
  l.heading('The verdict in numbers');
  l.paragraph(
    `Run ${redact(basename(run.dir))} · method ${run.manifest.method} · finished ${formatTime(run.manifest.finished ?? run.manifest.started)} · verdict ${verdict.pass ? 'PASS' : 'FAIL'}`,
    9,
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

/**
 * The numbers an auditor reads first, before and after; every other number is in the appendix.
 * A row whose metric the run did not measure is left out.
 */
const KEY_METRICS = [
  'forget.verbatim.exactRate',
  'forget.verbatim.rougeL',
  'forget.extractionStrength',
  'forget.meanNll',
  'forget.pii.leakRate',
  'forget.pii.anyPrompt.leakRate',
  'mia.loss.auc',
  'mia.minK.auc',
  'mia.minK.referenceAuc',
  'privLeak',
  'forgetQuality',
  FORGET_QUALITY_FALLBACK_ROW,
  'retain.verbatim.exactRate',
  'retain.meanNll',
  'holdout.meanNll',
  'knowledge.forget.rougeL',
  'knowledge.retain.rougeL',
  'modelUtility.value',
];

export function keyMetricsSection(l: Layout, run: FinishedRun): void {
  l.heading('Key metrics before and after unlearning');
  l.paragraph(
    `Sets: ${Object.entries(SETS)
      .map(([name, what]) => `${name} — ${what}`)
      .join(
        '; ',
      )}. The glossary explains each metric; the appendix lists every number of both metrics documents.`,
    8.5,
  );
  const rows = new Map(metricRows(run.before, run.after).map((r) => [r.name, r]));
  const shown = KEY_METRICS.flatMap((name) => rows.get(name) ?? []);
  metricTable(l, shown);
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
  miaCharts(l, run.before, run.after);
}

const isNumbers = (x: unknown): x is number[] =>
  Array.isArray(x) && x.length > 0 && x.every((v) => typeof v === 'number');

/** `{forget, holdout}` of `mia.<attack>.<key>` when both are lists of numbers. */
function scorePair(report: EvalReport, attack: string, key: string): ScorePair | undefined {
  const value = (report.mia as Record<string, Record<string, unknown> | undefined> | undefined)?.[
    attack
  ]?.[key] as { forget?: unknown; holdout?: unknown } | undefined;
  return value && isNumbers(value.forget) && isNumbers(value.holdout)
    ? { forget: value.forget, holdout: value.holdout }
    : undefined;
}

/**
 * Per attack: the histogram of its scores after unlearning, and ROC curves after, before
 * (`mia.<attack>.scores` of metrics-before.json) and on the reference model
 * (`referenceScores`, written since the report drew it; older documents: without that curve).
 */
function miaCharts(l: Layout, before: EvalReport, after: EvalReport): void {
  const attacks = Object.keys(after.mia ?? {}).filter((a) => scorePair(after, a, 'scores'));
  l.heading('Membership-inference attacks: scores and ROC curves');
  if (attacks.length === 0) {
    l.paragraph(
      'Not drawn: the metrics documents carry only each attack’s AUC and TPR at 1 % FPR (see the metrics table), not the per-document scores that histograms and ROC curves need.',
      9,
    );
    return;
  }
  const noReference = attacks.filter((a) => !scorePair(after, a, 'referenceScores'));
  l.paragraph(
    'Left: how the attack scores the forget documents (red) and the holdout documents (blue) after unlearning; the more the two overlap, the less an attacker can tell them apart. ' +
      'Right: the ROC curve on log-log axes — the share of forget documents the attack finds (true positive rate) against the share of holdout documents it wrongly accuses (false positive rate), before and after unlearning and on the reference model; the dotted diagonal is a coin toss. The low false-positive corner (left) is what matters for privacy. Rates of 0 are drawn on the axis edge.' +
      (noReference.length > 0
        ? ` No reference curve for ${noReference.join(', ')}: ${after.mia?.loss?.referenceAuc === undefined ? 'the run had no reference model, or its metrics predate per-document reference scores' : 'the reference model’s scores are computed for loss, zlib and Min-K% only'}.`
        : ''),
    8.5,
  );
  const half = (l.width - 10) / 2;
  const height = 210;
  for (const attack of attacks) {
    const scores = scorePair(after, attack, 'scores')!;
    const beforeScores = scorePair(before, attack, 'scores');
    const reference = scorePair(after, attack, 'referenceScores');
    l.svgRow(
      [
        scoreHistogramSvg(`${attack}: scores after unlearning`, scores, half, height),
        rocSvg(
          `${attack}: ROC (log-log)`,
          {
            after: scores,
            ...(beforeScores ? { before: beforeScores } : {}),
            ...(reference ? { reference } : {}),
          },
          half,
          height,
        ),
      ],
      half,
      height,
    );
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
  l.newPage();
  l.heading('Glossary');
  const names = metricRows(run.before, run.after).map((r) => r.name);
  l.table([{ header: 'metric', width: 140 }, { header: 'meaning' }], glossaryEntries(names), {
    fontSize: 8,
  });
}

/** The appendix: every number of metrics-before.json and metrics-after.json, and what was skipped. */
export function metricsAppendix(l: Layout, run: FinishedRun): void {
  l.newPage();
  l.heading('Appendix: every number of the metrics documents');
  l.paragraph(
    'Every number of metrics-before.json and metrics-after.json (both attached to this PDF), by its path in the document. Integers as they are, other numbers with four decimals.',
    8.5,
  );
  const rows = metricRows(run.before, run.after);
  metricTable(l, rows);
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

/** Metric rows as a table: name, before, after, delta. */
function metricTable(l: Layout, rows: readonly MetricRow[]): void {
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
}
