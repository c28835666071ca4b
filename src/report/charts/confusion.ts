// Confusion-matrix heat map: rows = true class, columns = predicted class (sklearn's layout); each cell
// shows its count and its row rate (recall of that true class), coloured by the row rate so that an
// imbalanced test set still reads correctly.
import type { TopLevelSpec } from 'vega-lite';
import type { ConfusionData } from '../types.js';
import { fmt, fmtPercent, isFiniteNumber } from '../format.js';
import { CONFIG, FONT } from './theme.js';

/** Builds ConfusionData from the binary counts of metrics.json (`{tn, fp, fn, tp}`). */
export function confusionFromCounts(classes: [string, string], c: { tn: number; fp: number; fn: number; tp: number }, threshold?: number | null): ConfusionData {
  return { classes: [...classes], matrix: [[c.tn, c.fp], [c.fn, c.tp]], threshold };
}

// Axis categories must be distinct strings; two classes with one name (or "" ) would merge cells.
function distinctNames(classes: string[]): string[] {
  const seen = new Map<string, number>();
  return classes.map((raw) => {
    const name = String(raw) === '' ? '(empty)' : String(raw);
    const k = (seen.get(name) ?? 0) + 1;
    seen.set(name, k);
    return k === 1 ? name : `${name} (${k})`;
  });
}

export function confusionSpec(cm: ConfusionData): TopLevelSpec {
  const n = cm.classes.length;
  if (n < 1) throw new Error('confusion matrix: no class names given');
  if (cm.matrix.length !== n || cm.matrix.some((row) => !Array.isArray(row) || row.length !== n)) {
    throw new Error(`confusion matrix: expected ${n}x${n} counts for classes [${cm.classes.join(', ')}]`);
  }
  const names = distinctNames(cm.classes);
  const cells: { truth: string; predicted: string; count: string; rate: number | null; rateText: string }[] = [];
  for (let i = 0; i < n; i++) {
    const row = cm.matrix[i].map((v) => (isFiniteNumber(v) ? v : NaN));
    const total = row.reduce((a, b) => a + (Number.isNaN(b) ? 0 : b), 0);
    for (let j = 0; j < n; j++) {
      const rate = total > 0 && !Number.isNaN(row[j]) ? row[j] / total : null;
      cells.push({
        truth: names[i],
        predicted: names[j],
        count: Number.isNaN(row[j]) ? '–' : String(row[j]),
        rate,
        rateText: rate === null ? '' : `${fmtPercent(rate)} of row`,
      });
    }
  }
  const x = { field: 'predicted', type: 'nominal' as const, sort: names, title: 'Predicted class', axis: { labelAngle: 0, orient: 'bottom' as const, labelLimit: 160 } };
  const y = { field: 'truth', type: 'nominal' as const, sort: names, title: 'True class', axis: { labelLimit: 160 } };
  const textColor = { condition: { test: 'datum.rate > 0.55', value: 'white' }, value: '#222' };
  const title = isFiniteNumber(cm.threshold) ? `Confusion matrix (threshold ${fmt(cm.threshold, 2)})` : 'Confusion matrix';
  return {
    config: { ...CONFIG, axis: { ...CONFIG.axis, grid: false, ticks: false, domain: false } },
    title,
    data: { values: cells },
    width: { step: 130 },
    height: { step: 110 },
    encoding: { x, y },
    layer: [
      {
        mark: { type: 'rect', stroke: 'white', strokeWidth: 2 },
        encoding: {
          color: {
            field: 'rate', type: 'quantitative', title: 'Row rate',
            scale: { domain: [0, 1], scheme: 'blues' },
            legend: { format: '.0%', gradientLength: 120 },
          },
        },
      },
      { mark: { type: 'text', fontSize: 20, fontWeight: 'bold', dy: -8, font: FONT }, encoding: { text: { field: 'count' }, color: textColor } },
      { mark: { type: 'text', fontSize: 11, dy: 14, font: FONT }, encoding: { text: { field: 'rateText' }, color: textColor } },
    ],
  } as TopLevelSpec;
}
