// One-vs-rest ROC curves of a C-class model in one chart: every class up to ROC_MAX_CURVES, else the
// ROC_EXTREMES best and the ROC_EXTREMES worst by AUC (the subtitle says which), so that the chart stays
// readable and still shows where the model is weakest. The legend gives each class with its AUC.
import type { TopLevelSpec } from 'vega-lite';
import { fmt } from '../format.js';
import { finitePairs } from './points.js';
import { shortNames } from './class-names.js';
import { COLORS, CONFIG, SQUARE } from './theme.js';

export const ROC_MAX_CURVES = 10;
export const ROC_EXTREMES = 5;

export interface OvrRocCurve {
  /** Class (column) index. */
  index: number;
  name: string;
  auc: number;
  fpr: number[];
  tpr: number[];
}

export interface RocSelection<T> {
  shown: T[];
  /** 'all' when every curve is drawn, else 'extremes' (the best and worst by AUC, best first). */
  rule: 'all' | 'extremes';
}

/** Which curves to draw: all up to `max`, else the `extremes` best and worst by AUC (ties: lower index first). */
export function selectRocCurves<T extends { index: number; auc: number }>(curves: T[], max = ROC_MAX_CURVES, extremes = ROC_EXTREMES): RocSelection<T> {
  if (curves.length <= max) return { shown: [...curves], rule: 'all' };
  const byAuc = [...curves].sort((a, b) => b.auc - a.auc || a.index - b.index);
  return { shown: [...byAuc.slice(0, extremes), ...byAuc.slice(-extremes)], rule: 'extremes' };
}

// Best in blues and greens, worst in reds and oranges: the two groups read apart at a glance.
const BEST = ['#08519c', '#3182bd', '#2ca02c', '#6baed6', '#74c476'];
const WORST = ['#a50f15', '#ff7f0e', '#de2d26', '#fb6a4a', '#8c564b'];
const ALL = ['#1f77b4', '#ff7f0e', '#2ca02c', '#d62728', '#9467bd', '#8c564b', '#e377c2', '#17becf', '#bcbd22', '#7f7f7f'];

/**
 * `curves` are the classes that have a one-vs-rest curve; `total` counts every class (those without a curve,
 * no positive or no negative image, are named as left out). `unit` names them: 'class' or 'label'.
 */
export function ovrRocSpec(curves: OvrRocCurve[], total: number, unit: 'class' | 'label' = 'class'): TopLevelSpec {
  const units = (k: number) => `${k} ${unit === 'class' ? (k === 1 ? 'class' : 'classes') : (k === 1 ? 'label' : 'labels')}`;
  const { shown, rule } = selectRocCurves(curves);
  const names = shortNames(curves.map((c) => c.name));
  const nameOf = new Map(curves.map((c, k) => [c.index, names[k]]));
  const series = shown.map((c) => `${nameOf.get(c.index)} (AUC ${fmt(c.auc, 3)})`);
  const points = shown.flatMap((c, k) => finitePairs(c.fpr, c.tpr, `ROC curve of ${unit} ${c.name}`)
    .map((p) => ({ series: series[k], full: c.name, auc: fmt(c.auc, 4), i: p.i, fpr: p.x, tpr: p.y })));
  const range = rule === 'all' ? ALL : [...BEST, ...WORST];
  const subtitle: string[] = [];
  if (rule === 'all') subtitle.push(`all ${units(shown.length)}`);
  else subtitle.push(`the ${ROC_EXTREMES} best and the ${ROC_EXTREMES} worst of ${units(curves.length)} by AUC`);
  if (curves.length < total) subtitle.push(`${units(total - curves.length)} without both positive and negative images left out`);
  if (curves.length === total && total > 0) {
    subtitle.push(`macro AUC ${fmt(curves.reduce((a, c) => a + c.auc, 0) / total, 3)}`);
  }
  const x = { field: 'fpr', type: 'quantitative' as const, title: 'False positive rate', scale: { domain: [0, 1] } };
  const y = { field: 'tpr', type: 'quantitative' as const, title: 'True positive rate', scale: { domain: [0, 1] } };
  return {
    config: CONFIG,
    title: { text: 'One-vs-rest ROC curves', subtitle: subtitle.join('; ') },
    width: SQUARE,
    height: SQUARE,
    layer: [
      {
        data: { values: [{ fpr: 0, tpr: 0 }, { fpr: 1, tpr: 1 }] },
        mark: { type: 'line', strokeDash: [5, 4], strokeWidth: 1.2, color: COLORS.chance },
        encoding: { x, y },
      },
      {
        data: { values: points },
        mark: { type: 'line', strokeWidth: 1.8 },
        encoding: {
          x, y, order: { field: 'i', type: 'quantitative' },
          color: {
            field: 'series', type: 'nominal', sort: series, title: rule === 'all' ? null : `${ROC_EXTREMES} best, then ${ROC_EXTREMES} worst`,
            scale: { domain: series, range: range.slice(0, series.length) },
            legend: { orient: 'right', symbolType: 'stroke', symbolStrokeWidth: 2.2, labelLimit: 340, titleLimit: 340 },
          },
          tooltip: [{ field: 'full', title: unit === 'class' ? 'Class' : 'Label' }, { field: 'auc', title: 'AUC' }],
        },
      },
    ],
  } as TopLevelSpec;
}
