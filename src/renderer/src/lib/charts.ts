/**
 * echarts, imported piece by piece (line and bar charts, grid, tooltip, legend, title, canvas):
 * the full `echarts` entry would triple the renderer bundle.
 */
import { BarChart, LineChart } from 'echarts/charts';
import {
  GridComponent,
  LegendComponent,
  TitleComponent,
  TooltipComponent,
} from 'echarts/components';
import * as echarts from 'echarts/core';
import { CanvasRenderer } from 'echarts/renderers';

echarts.use([
  LineChart,
  BarChart,
  GridComponent,
  TooltipComponent,
  LegendComponent,
  TitleComponent,
  CanvasRenderer,
]);

export { echarts };
export type ChartOption = Parameters<echarts.ECharts['setOption']>[0];

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
