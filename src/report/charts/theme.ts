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

/**
 * A legend below the plot (never over the data) whose symbols look like the marks: a line for a line, a
 * dashed line for a dashed one, a filled circle for a point. Vega-Lite merges layers into one symbol type,
 * so the per-entry shape is set in the legend's own encoding.
 */
export function markLegend(opts: { dashed?: string[]; points?: string[] }) {
  const list = (names: string[] = []) => JSON.stringify(names);
  const isPoint = `indexof(${list(opts.points)}, datum.value) >= 0`;
  const isDashed = `indexof(${list(opts.dashed)}, datum.value) >= 0`;
  return {
    title: null,
    orient: 'bottom' as const,
    direction: 'horizontal' as const,
    symbolType: 'stroke',
    symbolStrokeWidth: 2.2,
    symbolSize: 120,
    columnPadding: 16,
    encoding: {
      // Vega-Lite wraps these in the symbols' `update` block; an expression value is evaluated per entry.
      symbols: {
        shape: { value: { expr: `${isPoint} ? 'circle' : 'stroke'` } },
        strokeDash: { value: { expr: `${isDashed} ? [4, 3] : [1, 0]` } },
        fill: { value: { expr: `${isPoint} ? scale('color', datum.value) : 'transparent'` } },
        stroke: { value: { expr: `${isPoint} ? 'white' : scale('color', datum.value)` } },
        strokeWidth: { value: { expr: `${isPoint} ? 1 : 2.2` } },
        opacity: { value: 1 },
      },
    },
  };
}

/**
 * Where a point's text label goes so that it stays inside the plot whatever corner the point is in: right of
 * the point in the left 60 % of the plot (left of it otherwise), above it unless it is in the top 15 %.
 * x and y are fractions of the axes (0..1, y up).
 */
export function insideLabel(x: number, y: number): { align: 'left' | 'right'; baseline: 'bottom' | 'top'; dx: number; dy: number } {
  const right = x < 0.6;
  const above = y <= 0.85;
  return { align: right ? 'left' : 'right', dx: right ? 10 : -10, baseline: above ? 'bottom' : 'top', dy: above ? -8 : 10 };
}
