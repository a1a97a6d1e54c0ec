/**
 * The report's charts as SVG strings, rendered by echarts on the server (DESIGN.md §6) so they
 * stay vector in the PDF. Animation is off: SSR renders one frame.
 */
import * as echarts from 'echarts';
import { roc, type ScorePair } from '../../shared/roc.ts';
import type { CalibrationDecision, TrainingLog } from '../../shared/training.ts';
import type { MetricRow } from './metric-rows.ts';

export const CHART_FONT = 'sans-serif';
const BEFORE = '#8c8c8c';
const AFTER = '#2f6db5';

function render(width: number, height: number, option: echarts.EChartsCoreOption): string {
  const chart = echarts.init(null, null, { renderer: 'svg', ssr: true, width, height });
  chart.setOption({ animation: false, textStyle: { fontFamily: CHART_FONT }, ...option });
  const svg = chart.renderToSVGString();
  chart.dispose();
  return svg;
}

/** Metrics on a 0..1 scale worth comparing at a glance. */
const BAR_METRICS =
  /^(forget|retain|holdout)\.verbatim\.(exactRate|rougeL)$|^(forget|retain|holdout)\.(extractionStrength|exactMemorization)$|^forget\.pii\.leakRate$|^mia\.\w+\.auc$/;

export function metricBarsSvg(
  rows: readonly MetricRow[],
  width: number,
  height: number,
): string | null {
  const shown = rows.filter((r) => BAR_METRICS.test(r.name));
  if (shown.length === 0) return null;
  return render(width, height, {
    legend: { data: ['before', 'after'], top: 0 },
    grid: { left: 190, right: 20, top: 28, bottom: 24 },
    xAxis: { type: 'value', min: 0, max: 1 },
    yAxis: {
      type: 'category',
      inverse: true,
      data: shown.map((r) => r.name),
      axisLabel: { fontSize: 9 },
    },
    series: [
      {
        name: 'before',
        type: 'bar',
        data: shown.map((r) => r.before ?? 0),
        itemStyle: { color: BEFORE },
      },
      {
        name: 'after',
        type: 'bar',
        data: shown.map((r) => r.after ?? 0),
        itemStyle: { color: AFTER },
      },
    ],
  });
}

/** One line per series over the optimizer steps. */
export function stepCurvesSvg(
  title: string,
  training: TrainingLog,
  series: ReadonlyArray<
    readonly [string, (step: TrainingLog['steps'][number]) => number | undefined]
  >,
  width: number,
  height: number,
): string {
  const steps = training.steps.map((s) => s.step);
  return render(width, height, {
    title: { text: title, left: 'center', textStyle: { fontSize: 12 } },
    legend: { data: series.map(([name]) => name), bottom: 0 },
    grid: { left: 60, right: 20, top: 34, bottom: 56 },
    xAxis: { type: 'category', data: steps, name: 'step', nameLocation: 'middle', nameGap: 20 },
    yAxis: { type: 'value', scale: true },
    series: series.map(([name, pick]) => ({
      name,
      type: 'line',
      showSymbol: steps.length <= 40,
      data: training.steps.map((s) => pick(s) ?? null),
    })),
  });
}

export type { ScorePair } from '../../shared/roc.ts';

/**
 * Bin edges a reader can use: axis labels every 1, 2 or 5 × 10^k, about `labels` of them, and
 * bins of a half or a fifth of that, so that every labelled value is a bin edge
 * (`niceBins(-3.37, 0.12)` → labels every 1 from −4 to 1, bins of 0.5).
 */
export function niceBins(
  lo: number,
  hi: number,
  labels = 4,
): { start: number; end: number; step: number; labelStep: number; bins: number } {
  const span = hi - lo || Math.abs(lo) || 1;
  const raw = span / labels;
  const power = 10 ** Math.floor(Math.log10(raw));
  const mantissa = [1, 2, 5, 10].find((m) => m * power >= raw * (1 - 1e-9)) ?? 10;
  const labelStep = mantissa * power;
  const step = labelStep / (mantissa === 5 ? 5 : 2);
  const start = Math.floor(lo / labelStep + 1e-9) * labelStep;
  const end = Math.max(start + labelStep, Math.ceil(hi / labelStep - 1e-9) * labelStep);
  return { start, end, step, labelStep, bins: Math.round((end - start) / step) };
}

const decimalsOf = (step: number): number => Math.max(0, -Math.floor(Math.log10(step) + 1e-9));

/** Histogram of attack scores, forget vs holdout, on shared bins with round edges. */
export function scoreHistogramSvg(
  title: string,
  scores: ScorePair,
  width: number,
  height: number,
): string {
  const all = [...scores.forget, ...scores.holdout];
  const { start, end, step, labelStep, bins } = niceBins(Math.min(...all), Math.max(...all));
  const count = (xs: readonly number[]) => {
    const out = new Array<number>(bins).fill(0);
    for (const x of xs) out[Math.min(bins - 1, Math.floor((x - start) / step + 1e-9))]! += 1;
    return out.map((n, i) => [start + (i + 0.5) * step, n]);
  };
  const small = { fontSize: 9 };
  return render(width, height, {
    title: { text: title, left: 'center', textStyle: { fontSize: 11 } },
    legend: { data: ['forget', 'holdout'], bottom: 0, textStyle: small },
    grid: { left: 44, right: 18, top: 38, bottom: 58 },
    xAxis: {
      type: 'value',
      min: start,
      max: end,
      interval: labelStep,
      name: 'attack score (higher: more familiar)',
      nameLocation: 'middle',
      nameGap: 22,
      nameTextStyle: small,
      axisLabel: { ...small, formatter: (v: number) => v.toFixed(decimalsOf(labelStep)) },
      splitLine: { show: false },
    },
    yAxis: {
      type: 'value',
      minInterval: 1,
      name: 'documents',
      nameLocation: 'middle',
      nameGap: 26,
      nameTextStyle: small,
      axisLabel: small,
    },
    series: [
      {
        name: 'forget',
        type: 'bar',
        barWidth: '40%',
        barGap: '0%',
        data: count(scores.forget),
        itemStyle: { color: '#c0504d' },
      },
      {
        name: 'holdout',
        type: 'bar',
        barWidth: '40%',
        data: count(scores.holdout),
        itemStyle: { color: AFTER },
      },
    ],
  });
}

/** The curves one ROC chart draws: after unlearning, and before and on the reference if known. */
export interface RocCurves {
  readonly after: ScorePair;
  readonly before?: ScorePair;
  readonly reference?: ScorePair;
}

/**
 * ROC curves on log-log axes, TPR against FPR, with the diagonal (a coin toss): the low-FPR
 * corner is where an attack that accuses few innocents still finds members (Carlini et al.,
 * "Membership Inference Attacks From First Principles", 2022, §IV). A rate of 0 has no place
 * on a log axis: it is drawn on the axis minimum, one decade below the smallest non-zero rate
 * the set sizes allow (1/n).
 */
export function rocSvg(title: string, curves: RocCurves, width: number, height: number): string {
  return render(width, height, rocOption(title, curves));
}

/** The echarts option of `rocSvg` (the tests check its axes). */
export function rocOption(title: string, curves: RocCurves): echarts.EChartsCoreOption {
  const sizes = Object.values(curves).flatMap((c: ScorePair) => [
    c.forget.length,
    c.holdout.length,
  ]);
  const floor = 10 ** (Math.floor(Math.log10(1 / Math.max(...sizes)) + 1e-9) - 1);
  const clamp = (points: [number, number][]) =>
    points.map(([x, y]) => [Math.max(floor, x), Math.max(floor, y)]);
  const small = { fontSize: 9 };
  const axis = (name: string) => ({
    type: 'log',
    logBase: 10,
    min: floor,
    max: 1,
    name,
    nameLocation: 'middle',
    nameGap: 22,
    nameTextStyle: small,
    axisLabel: small,
  });
  const line = (name: string, scores: ScorePair, color: string, width: number, dashed = false) => ({
    name,
    type: 'line',
    data: clamp(roc(scores)),
    showSymbol: false,
    itemStyle: { color },
    lineStyle: { color, width, ...(dashed ? { type: 'dashed' } : {}) },
  });
  // Drawn under one another: before (wide, grey), the reference (dashed), after on top.
  const series = [
    ...(curves.before ? [line('before', curves.before, BEFORE, 3)] : []),
    ...(curves.reference ? [line('reference model', curves.reference, '#3a9a5a', 1.5, true)] : []),
    line('after', curves.after, AFTER, 1.5),
  ];
  return {
    title: { text: title, left: 'center', textStyle: { fontSize: 11 } },
    legend: { data: series.map((s) => s.name), bottom: 0, textStyle: small },
    grid: { left: 48, right: 18, top: 38, bottom: 58 },
    xAxis: axis('false positive rate (holdout accused)'),
    yAxis: { ...axis('true positive rate (forget found)'), nameGap: 30 },
    series: [
      ...series,
      {
        name: 'chance',
        type: 'line',
        data: [
          [floor, floor],
          [1, 1],
        ],
        showSymbol: false,
        lineStyle: { type: 'dotted', color: '#999', width: 1 },
        itemStyle: { color: '#999' },
      },
    ],
  };
}

/**
 * Calibrated mode's checks: the attack's AUC at each check against the target band (stop at or
 * below `target + stop`, back off below `target − band`), and the retain probe's NLL on the
 * right axis; back-offs, speed-ups and the stop marked on the AUC line.
 */
export function calibrationSvg(
  decisions: ReadonlyArray<Pick<CalibrationDecision, 'step' | 'action' | 'auc' | 'retainNll'>>,
  target: { readonly auc: number; readonly stop?: number; readonly band?: number },
  attackLabel: string,
  width: number,
  height: number,
): string {
  const marked = decisions.filter((d) => d.action !== 'accept' && d.action !== 'start');
  const band =
    target.stop === undefined || target.band === undefined
      ? []
      : [[{ yAxis: target.auc - target.band }, { yAxis: target.auc + target.stop }]];
  const small = { fontSize: 9 };
  return render(width, height, {
    title: {
      text: `${attackLabel} AUC at each check`,
      left: 'center',
      textStyle: { fontSize: 12 },
    },
    legend: {
      data: ['AUC, forget vs calibration', 'retain probe NLL'],
      bottom: 0,
      textStyle: small,
    },
    grid: { left: 50, right: 56, top: 52, bottom: 52 },
    xAxis: {
      type: 'value',
      name: 'step',
      nameLocation: 'middle',
      nameGap: 20,
      minInterval: 1,
      axisLabel: small,
      nameTextStyle: small,
    },
    yAxis: [
      { type: 'value', min: 0, max: 1, name: 'AUC', axisLabel: small, nameTextStyle: small },
      {
        type: 'value',
        scale: true,
        name: 'NLL',
        splitLine: { show: false },
        axisLabel: small,
        nameTextStyle: small,
      },
    ],
    series: [
      {
        name: 'AUC, forget vs calibration',
        type: 'line',
        showSymbol: decisions.length <= 30,
        symbolSize: 3,
        data: decisions.map((d) => [d.step, d.auc]),
        itemStyle: { color: '#c0504d' },
        markLine: {
          symbol: 'none',
          label: { formatter: 'target', position: 'insideStartTop', fontSize: 8 },
          lineStyle: { type: 'dashed', color: AFTER },
          data: [{ yAxis: target.auc }],
        },
        ...(band.length > 0
          ? { markArea: { itemStyle: { color: 'rgba(47,109,181,0.12)' }, data: band } }
          : {}),
        markPoint: {
          symbol: 'pin',
          symbolSize: 20,
          label: { fontSize: 6 },
          data: marked.map((d) => ({
            coord: [d.step, d.auc],
            value: MARK_LABELS[d.action],
            itemStyle: { color: MARK_COLORS[d.action] },
          })),
        },
      },
      {
        name: 'retain probe NLL',
        type: 'line',
        yAxisIndex: 1,
        showSymbol: false,
        data: decisions.map((d) => [d.step, d.retainNll]),
        itemStyle: { color: BEFORE },
        lineStyle: { type: 'dotted' },
      },
    ],
  });
}

const MARK_LABELS: Readonly<Record<CalibrationDecision['action'], string>> = {
  start: '',
  accept: '',
  speedup: 'lr↑',
  backoff: 'back',
  stop: 'stop',
};

const MARK_COLORS: Readonly<Record<CalibrationDecision['action'], string>> = {
  start: BEFORE,
  accept: BEFORE,
  speedup: '#7a9a3a',
  backoff: '#d08a2a',
  stop: AFTER,
};
