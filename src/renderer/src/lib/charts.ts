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
export type { ChartOption } from './chart-style.ts';
