/**
 * The report's charts as SVG strings, rendered by echarts on the server (DESIGN.md §6) so they
 * stay vector in the PDF. Animation is off: SSR renders one frame.
 */
import * as echarts from 'echarts';
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

export interface ScorePair {
  readonly forget: readonly number[];
  readonly holdout: readonly number[];
}

/** Histogram of attack scores, forget vs holdout, on shared bins. */
export function scoreHistogramSvg(
  title: string,
  scores: ScorePair,
  width: number,
  height: number,
): string {
  const all = [...scores.forget, ...scores.holdout];
  const lo = Math.min(...all);
  const hi = Math.max(...all);
  const bins = 20;
  const step = (hi - lo) / bins || 1;
  const count = (xs: readonly number[]) => {
    const out = new Array<number>(bins).fill(0);
    for (const x of xs) out[Math.min(bins - 1, Math.floor((x - lo) / step))]! += 1;
    return out;
  };
  const labels = Array.from({ length: bins }, (_, i) => (lo + (i + 0.5) * step).toFixed(2));
  return render(width, height, {
    title: { text: title, left: 'center', textStyle: { fontSize: 12 } },
    legend: { data: ['forget', 'holdout'], bottom: 0 },
    grid: { left: 50, right: 20, top: 34, bottom: 50 },
    xAxis: { type: 'category', data: labels },
    yAxis: { type: 'value' },
    series: [
      { name: 'forget', type: 'bar', data: count(scores.forget), itemStyle: { color: '#c0504d' } },
      { name: 'holdout', type: 'bar', data: count(scores.holdout), itemStyle: { color: AFTER } },
    ],
  });
}

/** ROC curve of "higher score means member (forget)". */
export function rocSvg(title: string, scores: ScorePair, width: number, height: number): string {
  const thresholds = [...new Set([...scores.forget, ...scores.holdout])].sort((a, b) => b - a);
  const points: Array<[number, number]> = [[0, 0]];
  for (const t of thresholds) {
    const tpr = scores.forget.filter((x) => x >= t).length / scores.forget.length;
    const fpr = scores.holdout.filter((x) => x >= t).length / scores.holdout.length;
    points.push([fpr, tpr]);
  }
  points.push([1, 1]);
  return render(width, height, {
    title: { text: title, left: 'center', textStyle: { fontSize: 12 } },
    grid: { left: 50, right: 20, top: 36, bottom: 36 },
    xAxis: {
      type: 'value',
      min: 0,
      max: 1,
      name: 'false positive rate',
      nameLocation: 'middle',
      nameGap: 22,
    },
    yAxis: { type: 'value', min: 0, max: 1, name: 'true positive rate' },
    series: [
      { type: 'line', data: points, showSymbol: false },
      {
        type: 'line',
        data: [
          [0, 0],
          [1, 1],
        ],
        showSymbol: false,
        lineStyle: { type: 'dashed', color: BEFORE },
      },
    ],
  });
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
