// Adapters from the on-disk contracts (metrics.json, predictions) to chart inputs, so callers
// (evaluate, train) need not repeat the mapping.
import type { ChartData, PredictionRow, ProbabilityData } from './types.js';
import { isFiniteNumber } from './format.js';
import { confusionFromCounts } from './charts/confusion.js';
import { classIndex } from './gallery.js';

/** The subset of metrics.json (see ARCHITECTURE.md) the charts read. */
export interface MetricsJsonLike {
  classes?: [string, string];
  threshold?: number;
  auc?: number | null;
  auc_ci95?: [number, number] | null;
  average_precision?: number | null;
  brier?: number | null;
  confusion?: { tn: number; fp: number; fn: number; tp: number };
  roc?: { fpr: number[]; tpr: number[]; thresholds?: (number | null)[] };
  [k: string]: unknown;
}

/** ROC and confusion-matrix inputs from metrics.json; other members of ChartData are for the caller to add. */
export function chartDataFromMetrics(m: MetricsJsonLike): ChartData {
  const out: ChartData = {};
  if (m.roc && Array.isArray(m.roc.fpr) && Array.isArray(m.roc.tpr)) {
    out.roc = { fpr: m.roc.fpr, tpr: m.roc.tpr, thresholds: m.roc.thresholds, auc: m.auc ?? null, aucCi95: m.auc_ci95 ?? null };
  }
  if (m.confusion && m.classes) out.confusion = confusionFromCounts(m.classes, m.confusion, m.threshold ?? null);
  return out;
}

/** Histogram input from prediction rows (labels given as class names or 0/1); unknown labels are dropped. */
export function probabilityDataFromPredictions(rows: PredictionRow[], classes: [string, string], threshold?: number): ProbabilityData {
  const probabilities: number[] = [];
  const labels: number[] = [];
  for (const r of rows) {
    const y = classIndex(r.label, classes);
    if (y === null || !isFiniteNumber(r.probability)) continue;
    probabilities.push(r.probability);
    labels.push(y);
  }
  return { probabilities, labels, classes, threshold };
}
