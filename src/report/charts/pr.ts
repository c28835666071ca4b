// Precision-recall curve drawn as sklearn's PrecisionRecallDisplay does (steps in the given order),
// average precision in the title, the chance level (prevalence) and the operating point marked.
//
// The steps keep every point scikit-learn returns, so where a threshold first drops a positive (recall and
// precision fall) and then a negative (precision rises again at the same recall) the line has a short
// downward spur. That spur is a real point of the curve (the operating point can be its tip), so it is not
// smoothed away: the area under the steps, which is exactly the AP, is shaded instead, and the line is thin,
// so the staircase reads as the curve and a spur as one threshold's dip.
import type { TopLevelSpec } from 'vega-lite';
import type { PrData } from '../types.js';
import { fmt, isFiniteNumber } from '../format.js';
import { finitePairs } from './points.js';
import { COLORS, CONFIG, SQUARE, insideLabel, markLegend } from './theme.js';

export function prTitle(pr: PrData): string {
  return isFiniteNumber(pr.averagePrecision) ? `Precision–recall curve — AP = ${fmt(pr.averagePrecision)} (shaded area)` : 'Precision–recall curve';
}

export function prSpec(pr: PrData): TopLevelSpec {
  const points = finitePairs(pr.recall, pr.precision, 'PR curve (recall, precision)').map((p) => ({ i: p.i, recall: p.x, precision: p.y }));
  const op = pr.operatingPoint;
  const opValid = op != null && isFiniteNumber(op.recall) && isFiniteNumber(op.precision);
  const chance = isFiniteNumber(pr.prevalence) ? pr.prevalence : null;
  const domain = ['model', ...(chance !== null ? ['chance'] : []), ...(opValid ? ['operating point'] : [])];
  const palette: Record<string, string> = { model: COLORS.model, chance: COLORS.chance, 'operating point': COLORS.mark };
  const color = (name: string) => ({
    datum: name, type: 'nominal' as const,
    scale: { domain, range: domain.map((d) => palette[d]) },
    legend: markLegend({ dashed: ['chance'], points: ['operating point'] }),
  });
  const x = { field: 'recall', type: 'quantitative' as const, title: 'Recall (sensitivity)', scale: { domain: [0, 1] } };
  const y = { field: 'precision', type: 'quantitative' as const, title: 'Precision (positive predictive value)', scale: { domain: [0, 1.02] }, axis: { values: [0, 0.2, 0.4, 0.6, 0.8, 1] } };

  const layers: any[] = [];
  if (chance !== null) {
    layers.push({
      data: { values: [{ recall: 0, precision: chance }, { recall: 1, precision: chance }] },
      mark: { type: 'line', strokeDash: [5, 4], strokeWidth: 1.2 },
      encoding: { x, y, color: color('chance') },
    });
  }
  // step-after in data order = matplotlib's drawstyle="steps-post" used by sklearn: the area under it is
  // sum((r[i] - r[i+1]) * p[i]), sklearn's average precision. Neither mark may sort the points by x: the line
  // follows the order field; an area would be split per value of it, so the area keeps the data order instead.
  const order = { field: 'i', type: 'quantitative' as const };
  layers.push(
    {
      data: { values: points },
      mark: { type: 'area', interpolate: 'step-after', color: COLORS.model, opacity: 0.12 },
      encoding: { x, y: { ...y, stack: null }, y2: { datum: 0 }, order: { value: null } },
    },
    {
      data: { values: points },
      mark: { type: 'line', strokeWidth: 1.6, interpolate: 'step-after' },
      encoding: { x, y, order, color: color('model') },
    },
  );
  if (opValid) {
    const label = isFiniteNumber(op.threshold) ? `threshold ${fmt(op.threshold, 2)}` : 'operating point';
    const opData = { values: [{ recall: op.recall, precision: op.precision, label }] };
    layers.push(
      { data: opData, mark: { type: 'point', filled: true, size: 110, stroke: 'white', strokeWidth: 1.5 }, encoding: { x, y, color: color('operating point') } },
      { data: opData, mark: { type: 'text', ...insideLabel(op.recall, op.precision / 1.02), fontSize: 11, fontWeight: 'bold', color: COLORS.mark }, encoding: { x, y, text: { field: 'label' } } },
    );
  }
  return { config: CONFIG, title: prTitle(pr), width: SQUARE, height: SQUARE, layer: layers } as TopLevelSpec;
}
