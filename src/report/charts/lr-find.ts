// The LR range test's plot: the raw and the smoothed loss against the learning rate (log scale), with the
// suggested rates (steepest descent, fastai's valley) marked.
import type { TopLevelSpec } from 'vega-lite';
import { COLORS, CONFIG } from './theme.js';

export interface LrFindChartData {
  points: { lr: number; loss: number; smoothed: number }[];
  suggestions: { name: string; lr: number; loss: number }[];
  title: string;
}

export function lrFindSpec(d: LrFindChartData): TopLevelSpec {
  const finite = d.points.filter((p) => Number.isFinite(p.loss) && Number.isFinite(p.smoothed) && p.lr > 0);
  const values = finite.flatMap((p) => [{ lr: p.lr, loss: p.loss, curve: 'loss' }, { lr: p.lr, loss: p.smoothed, curve: 'smoothed loss' }]);
  const x = { field: 'lr', type: 'quantitative' as const, title: 'Learning rate', scale: { type: 'log' as const }, axis: { format: '.0e' } };
  const y = { field: 'loss', type: 'quantitative' as const, title: 'Training loss', scale: { zero: false } };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    title: d.title, width: 520, height: 300, config: CONFIG,
    layer: [
      {
        data: { values },
        mark: { type: 'line', strokeWidth: 1.8 },
        encoding: {
          x, y, color: { field: 'curve', type: 'nominal', title: null, scale: { domain: ['loss', 'smoothed loss'], range: ['#b9c2d3', COLORS.model] } },
        },
      },
      {
        data: { values: d.suggestions },
        mark: { type: 'point', filled: true, size: 90, shape: 'diamond' },
        encoding: { x, y, color: { value: COLORS.mark }, tooltip: [{ field: 'name' }, { field: 'lr', format: '.2e' }] },
      },
      {
        data: { values: d.suggestions },
        mark: { type: 'text', dy: -12, fontSize: 11 },
        encoding: { x, y, text: { field: 'name' }, color: { value: COLORS.mark } },
      },
    ],
  } as TopLevelSpec;
}
