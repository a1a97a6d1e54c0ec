/**
 * The report's charts as SVG strings, rendered by echarts on the server (DESIGN.md §6) so they
 * stay vector in the PDF. Animation is off: SSR renders one frame.
 */
import * as echarts from 'echarts';
import type { TrainingLog } from '../../shared/training.ts';
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
