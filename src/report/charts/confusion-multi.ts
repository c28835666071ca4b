// The C×C confusion matrix, row-normalised: each row is a true class and its cells are the fractions of that
// class's images predicted as each column (the per-class recall on the diagonal), so a rare class reads as
// clearly as a common one. The chart grows with C: cells shrink from 90 to 16 px, and the text inside a cell
// (count and percentage, then the percentage alone) is left out once it no longer fits; the tooltip always has
// both and the full class names.
import type { TopLevelSpec } from 'vega-lite';
import { fmtPercent, isFiniteNumber } from '../format.js';
import { shortNames } from './class-names.js';
import { CONFIG, FONT } from './theme.js';

export interface ConfusionCell {
  truth: string;
  predicted: string;
  truthFull: string;
  predictedFull: string;
  count: number;
  /** count / row total; null for a class with no image (an empty row). */
  rate: number | null;
  rateText: string;
}

/** The cells, row by row: counts and row fractions (a non-empty row's fractions sum to 1). */
export function confusionCells(classes: string[], matrix: number[][]): ConfusionCell[] {
  const c = classes.length;
  if (c < 2) throw new Error(`confusion matrix: ${c} class name(s) given, expected at least 2`);
  if (matrix.length !== c || matrix.some((row) => !Array.isArray(row) || row.length !== c)) {
    throw new Error(`confusion matrix: expected ${c}×${c} counts, one row and one column per class`);
  }
  const names = shortNames(classes);
  const cells: ConfusionCell[] = [];
  matrix.forEach((row, i) => {
    row.forEach((v, j) => {
      if (!(isFiniteNumber(v) && v >= 0)) throw new Error(`confusion matrix: count [${i}][${j}] is ${v}, expected a count`);
    });
    const total = row.reduce((a, b) => a + b, 0);
    row.forEach((v, j) => {
      const rate = total > 0 ? v / total : null;
      cells.push({
        truth: names[i], predicted: names[j], truthFull: classes[i], predictedFull: classes[j], count: v, rate,
        rateText: rate === null ? 'no image' : fmtPercent(rate, rate === 0 || rate === 1 ? 0 : 1),
      });
    });
  });
  return cells;
}

/** Cell side in pixels for C classes: 90 px for a few, 16 px at 40 and more (a 50-class matrix is 800 px). */
export function cellStep(c: number): number {
  return Math.max(16, Math.min(90, Math.round(640 / c)));
}

export function multiConfusionSpec(classes: string[], matrix: number[][]): TopLevelSpec {
  const c = classes.length;
  const cells = confusionCells(classes, matrix);
  const order = shortNames(classes);
  const step = cellStep(c);
  const labelFontSize = step >= 24 ? 11 : 10;
  // Horizontal column labels while the longest fits its column (about 0.62 em per character), then slanted, then
  // upright once the columns are narrow.
  const longest = Math.max(...order.map((s) => [...s].length));
  const labelAngle = longest * labelFontSize * 0.62 <= step - 6 ? 0 : c <= 12 ? -40 : -90;
  const axis = { labelFontSize, labelLimit: 220, labelPadding: 4 };
  const x = {
    field: 'predicted', type: 'nominal' as const, sort: order, title: 'Predicted class',
    axis: { ...axis, orient: 'bottom' as const, labelAngle, ...(labelAngle ? { labelAlign: 'right' as const, labelBaseline: 'middle' as const } : {}) },
  };
  const y = { field: 'truth', type: 'nominal' as const, sort: order, title: 'True class', axis };
  const textColor = { condition: { test: 'datum.rate > 0.55', value: 'white' }, value: '#222' };
  const layers: unknown[] = [{
    mark: { type: 'rect', stroke: 'white', strokeWidth: step >= 24 ? 2 : 1 },
    encoding: {
      color: {
        field: 'rate', type: 'quantitative', title: 'Fraction of the row',
        scale: { domain: [0, 1], scheme: 'blues' }, legend: { format: '.0%', gradientLength: Math.min(200, step * c) },
      },
      tooltip: [
        { field: 'truthFull', title: 'True class' }, { field: 'predictedFull', title: 'Predicted' },
        { field: 'count', title: 'Images' }, { field: 'rateText', title: 'Of the true class' },
      ],
    },
  }];
  if (step >= 48) {
    // Count and percentage, as the binary matrix shows them.
    layers.push(
      { mark: { type: 'text', fontSize: Math.min(18, Math.round(step / 5)), fontWeight: 'bold', dy: -step / 9, font: FONT }, encoding: { text: { field: 'count' }, color: textColor } },
      { mark: { type: 'text', fontSize: 10, dy: step / 7, font: FONT }, encoding: { text: { field: 'rateText' }, color: textColor } },
    );
  } else if (step >= 26) {
    layers.push({ mark: { type: 'text', fontSize: 9, font: FONT }, encoding: { text: { field: 'rateText' }, color: textColor } });
  }
  return {
    config: { ...CONFIG, axis: { ...CONFIG.axis, grid: false, ticks: false, domain: false } },
    title: {
      text: 'Confusion matrix',
      subtitle: `Row-normalised: each row is a true class; ${c} classes${step < 26 ? '; fractions and counts in the tooltip' : ''}`,
    },
    data: { values: cells },
    width: { step },
    height: { step },
    encoding: { x, y },
    layer: layers,
  } as TopLevelSpec;
}
