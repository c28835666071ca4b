// ROC curve: the model's curve, the chance diagonal and the operating point, AUC in the title.
import type { TopLevelSpec } from 'vega-lite';
import type { RocData } from '../types.js';
import { fmt, isFiniteNumber } from '../format.js';
import { finitePairs } from './points.js';
import { COLORS, CONFIG, SQUARE, insideLabel, markLegend } from './theme.js';

export function rocTitle(roc: RocData): string {
  if (!isFiniteNumber(roc.auc)) return 'ROC curve';
  const ci = roc.aucCi95?.every(isFiniteNumber) ? ` (95% CI ${fmt(roc.aucCi95[0])}–${fmt(roc.aucCi95[1])})` : '';
  return `ROC curve — AUC = ${fmt(roc.auc)}${ci}`;
}

export function rocSpec(roc: RocData): TopLevelSpec {
  const points = finitePairs(roc.fpr, roc.tpr, 'ROC curve (fpr, tpr)').map((p) => ({
    i: p.i,
    fpr: p.x,
    tpr: p.y,
    threshold: roc.thresholds?.[p.i] ?? null,
  }));
  const op = roc.operatingPoint;
  const opValid = op != null && isFiniteNumber(op.fpr) && isFiniteNumber(op.tpr);
  const domain = ['model', 'chance', ...(opValid ? ['operating point'] : [])];
  const range = [COLORS.model, COLORS.chance, COLORS.mark].slice(0, domain.length);
  const color = (name: string) => ({ datum: name, type: 'nominal' as const, scale: { domain, range }, legend: markLegend({ dashed: ['chance'], points: ['operating point'] }) });
  const x = { field: 'fpr', type: 'quantitative' as const, title: 'False positive rate (1 − specificity)', scale: { domain: [0, 1] } };
  const y = { field: 'tpr', type: 'quantitative' as const, title: 'True positive rate (sensitivity)', scale: { domain: [0, 1] } };

  const layers: any[] = [
    {
      data: { values: [{ fpr: 0, tpr: 0 }, { fpr: 1, tpr: 1 }] },
      mark: { type: 'line', strokeDash: [5, 4], strokeWidth: 1.2 },
      encoding: { x, y, color: color('chance') },
    },
    {
      data: { values: points },
      mark: { type: 'line', strokeWidth: 2.2 },
      encoding: { x, y, order: { field: 'i', type: 'quantitative' }, color: color('model') },
    },
  ];
  if (opValid) {
    const label = isFiniteNumber(op.threshold) ? `threshold ${fmt(op.threshold, 2)}` : 'operating point';
    const opData = { values: [{ fpr: op.fpr, tpr: op.tpr, label }] };
    layers.push(
      { data: opData, mark: { type: 'point', filled: true, size: 110, stroke: 'white', strokeWidth: 1.5 }, encoding: { x, y, color: color('operating point') } },
      { data: opData, mark: { type: 'text', ...insideLabel(op.fpr, op.tpr), fontSize: 11, fontWeight: 'bold', color: COLORS.mark }, encoding: { x, y, text: { field: 'label' } } },
    );
  }
  return {
    config: CONFIG,
    title: rocTitle(roc),
    width: SQUARE,
    height: SQUARE,
    layer: layers,
  } as TopLevelSpec;
}
