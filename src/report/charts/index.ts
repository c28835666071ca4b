// The chart catalogue: which spec draws which member of ChartData, and under which file name.
import type { TopLevelSpec } from 'vega-lite';
import type { ChartData } from '../types.js';
import { isFiniteNumber } from '../format.js';
import { rocSpec } from './roc.js';
import { prSpec } from './pr.js';
import { confusionSpec } from './confusion.js';
import { trainingSpec } from './training.js';
import { histogramSpec } from './histogram.js';
import { reliabilitySpec } from './reliability.js';

export { rocSpec, rocTitle } from './roc.js';
export { prSpec, prTitle } from './pr.js';
export { confusionSpec, confusionFromCounts } from './confusion.js';
export { trainingSpec, overallEpochs, phaseBoundaries, phaseRegions, phaseLabel, epochMarks } from './training.js';
export { histogramSpec } from './histogram.js';
export { reliabilitySpec, reliabilityTitle } from './reliability.js';

/** Every chart's file stem: the names an evaluation folder may hold as `<name>.svg` and `<name>.png`. */
export const CHART_NAMES = ['roc_curve', 'pr_curve', 'confusion_matrix', 'training_curves', 'probability_histogram', 'reliability'] as const;
export type ChartName = (typeof CHART_NAMES)[number];

export interface ChartSpec {
  /** File stem: the chart is written as `<name>.svg` and `<name>.png`. */
  name: ChartName;
  /** Human title for the HTML report. */
  caption: string;
  spec: TopLevelSpec;
}

/**
 * The binary operating point follows from the confusion counts (fpr = fp / (fp + tn), tpr = recall,
 * precision = tp / (tp + fp)); used when the caller gave the curve but not the point.
 */
function operatingPointFromConfusion(data: ChartData) {
  const m = data.confusion?.matrix;
  if (m?.length !== 2 || m.some((r) => r.length !== 2)) return null;
  const [[tn, fp], [fn, tp]] = m;
  if (![tn, fp, fn, tp].every(isFiniteNumber)) return null;
  const threshold = data.confusion?.threshold ?? null;
  return {
    fpr: tn + fp > 0 ? fp / (tn + fp) : NaN,
    tpr: tp + fn > 0 ? tp / (tp + fn) : NaN,
    precision: tp + fp > 0 ? tp / (tp + fp) : NaN,
    threshold,
  };
}

/** Specs for every chart whose data is present (a member that is null/undefined is skipped). */
export function chartSpecs(data: ChartData): ChartSpec[] {
  const out: ChartSpec[] = [];
  const op = operatingPointFromConfusion(data);
  if (data.history && data.history.length > 0) out.push({ name: 'training_curves', caption: 'Training curves', spec: trainingSpec(data.history, data.trainingMarks) });
  if (data.roc) {
    const roc = data.roc.operatingPoint === undefined && op ? { ...data.roc, operatingPoint: op } : data.roc;
    out.push({ name: 'roc_curve', caption: 'ROC curve', spec: rocSpec(roc) });
  }
  if (data.pr) {
    const pr = data.pr.operatingPoint === undefined && op ? { ...data.pr, operatingPoint: { precision: op.precision, recall: op.tpr, threshold: op.threshold } } : data.pr;
    out.push({ name: 'pr_curve', caption: 'Precision–recall curve', spec: prSpec(pr) });
  }
  if (data.confusion) out.push({ name: 'confusion_matrix', caption: 'Confusion matrix', spec: confusionSpec(data.confusion) });
  if (data.probabilities) out.push({ name: 'probability_histogram', caption: 'Predicted probabilities', spec: histogramSpec(data.probabilities) });
  if (data.calibration) out.push({ name: 'reliability', caption: 'Reliability diagram', spec: reliabilitySpec(data.calibration) });
  return out;
}
