// Shared look of every chart: one place for fonts, sizes and the palette.
import type { Config } from 'vega-lite';

export const COLORS = {
  model: '#1f5fa8',
  train: '#1f77b4',
  val: '#ff7f0e',
  chance: '#9a9a9a',
  mark: '#d62728',
  negative: '#4c78a8',
  positive: '#e45756',
  extra: '#54a24b',
} as const;

export const FONT = 'DejaVu Sans, Helvetica, Arial, sans-serif';

export const CONFIG: Config = {
  background: 'white',
  padding: 12,
  font: FONT,
  title: { fontSize: 15, fontWeight: 'bold', anchor: 'start', offset: 12 },
  axis: { labelFontSize: 11, titleFontSize: 12, gridColor: '#e6e6e6', domainColor: '#888', tickColor: '#888' },
  legend: { labelFontSize: 11, titleFontSize: 11, symbolSize: 90, labelLimit: 240 },
  view: { stroke: '#cfcfcf' },
  header: { labelFontSize: 12, titleFontSize: 12 },
};

export const SQUARE = 340;
