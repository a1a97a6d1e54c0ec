/**
 * The report's membership-inference charts: the ROC curves on log-log axes with the diagonal,
 * before/after/reference as separate curves, and histograms whose axis labels are round
 * numbers at bin edges, a handful of them, with axis names.
 */
import { describe, expect, it } from 'vitest';
import { niceBins, rocOption, rocSvg, scoreHistogramSvg } from '../../src/main/report/charts.ts';

const after = { forget: [-2.1, -1.9, -3.3, -2.6, -4.0], holdout: [-3.1, -3.6, -2.2, -5.2, -4.4] };
const before = { forget: [-0.1, -0.2, -0.3, -0.1, -0.2], holdout: [-3.1, -3.6, -2.2, -5.2, -4.4] };
const reference = { forget: [-3, -3.5, -2.4, -4, -4.5], holdout: [-3.1, -3.6, -2.2, -5.2, -4.4] };

/** The text of every <text> element of an SVG. */
const texts = (svg: string) => [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);

describe('rocSvg', () => {
  it('uses log axes on both rates, down to a decade below 1/n, with the diagonal', () => {
    const option = rocOption('loss', { after, before, reference }) as {
      xAxis: { type: string; min: number; max: number };
      yAxis: { type: string; min: number };
      series: Array<{ name: string; data: number[][] }>;
    };
    expect(option.xAxis.type).toBe('log');
    expect(option.yAxis.type).toBe('log');
    expect(option.xAxis.min).toBeCloseTo(0.01, 12);
    expect(option.xAxis.max).toBe(1);
    expect(option.series.map((s) => s.name)).toEqual([
      'before',
      'reference model',
      'after',
      'chance',
    ]);
    // No zero on a log axis: FPR/TPR 0 sits on the axis minimum.
    for (const s of option.series)
      for (const [x, y] of s.data) expect(Math.min(x!, y!)).toBeGreaterThanOrEqual(0.01);
    expect(option.series.at(-1)!.data).toEqual([
      [0.01, 0.01],
      [1, 1],
    ]);
  });

  it('renders decade ticks (0.01, 0.1, 1) on both axes', () => {
    const labels = texts(rocSvg('loss', { after }, 240, 210));
    for (const tick of ['0.01', '0.1', '1'])
      expect(labels.filter((t) => t === tick).length, tick).toBe(2);
    expect(labels).not.toContain('0.5');
    expect(labels.join(' ')).toContain('false positive rate');
    expect(labels.join(' ')).toContain('true positive rate');
  });
});

describe('score histograms', () => {
  it('puts labels every 1, 2 or 5 × 10^k on bin edges', () => {
    expect(niceBins(-3.37, 0.12)).toEqual({ start: -4, end: 1, step: 0.5, labelStep: 1, bins: 10 });
    const b = niceBins(-0.0297, -0.0061);
    expect(b.labelStep).toBeCloseTo(0.01, 12);
    expect(b.start).toBeCloseTo(-0.03, 12);
    expect(b.end).toBeCloseTo(0, 12);
  });

  it('labels the x axis with a few round numbers and names both axes', () => {
    const svg = scoreHistogramSvg('loss', after, 240, 210);
    const labels = texts(svg);
    const numbers = labels.filter((t) => /^[−-]?\d+(\.\d+)?$/.test(t)).map(Number);
    const xTicks = numbers.filter((n) => n < 0 || n === 0);
    expect(xTicks.length).toBeGreaterThanOrEqual(3);
    expect(xTicks.length).toBeLessThanOrEqual(8);
    for (const n of xTicks) expect(Math.abs(n * 2 - Math.round(n * 2))).toBeLessThan(1e-9);
    expect(labels).toContain('documents');
    expect(labels.some((t) => t.startsWith('attack score'))).toBe(true);
  });
});
