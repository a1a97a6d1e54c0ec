/**
 * Chart looks shared by the screens, without echarts itself (that loads on first use, see
 * Chart.svelte): the option type and the palette.
 */
import type { EChartsCoreOption } from 'echarts/core';

export type ChartOption = EChartsCoreOption;

/** The palette of app.css, so charts match the page. */
export const COLORS = {
  before: '#8a94a6',
  after: '#2f6f8f',
  forget: '#b5523b',
  holdout: '#2f6f8f',
  line: '#2f6f8f',
  grid: '#e3e6eb',
  text: '#3b4252',
};

export const baseOption = {
  animation: false,
  textStyle: { fontFamily: 'system-ui, sans-serif', color: COLORS.text },
  grid: { left: 56, right: 16, top: 40, bottom: 40 },
  tooltip: { trigger: 'axis' as const },
};
