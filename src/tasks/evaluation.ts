// The metric set of a multi-class or multi-label evaluation (metrics.json), every value computed as
// scikit-learn computes it (src/metrics), with `warnings` saying why a value is null (a class absent from the
// evaluated images has no one-vs-rest AUC: scikit-learn raises, tlearn writes null and says so).
import {
  hammingLoss, multiclassAccuracy, multiclassBalancedAccuracy, multiclassConfusionMatrix, multiclassLogLoss, multiclassPrf,
  multiclassRocAuc, multilabelAveragePrecision, multilabelClassificationReport, multilabelPrf, multilabelRocAuc, subsetAccuracy,
  topKAccuracy, classificationReport, classIntervals, multiclassCounts, multilabelLabelCounts, wilsonCI95, type PrfCounts,
} from '../metrics/index.js';
import { argmaxRows } from './decide.js';
import { rowsOf } from './task.js';

/** `fn()`, or null with the reason pushed to `warnings`. */
function orNull(name: string, warnings: string[], fn: () => number): number | null {
  try {
    return fn();
  } catch (e) {
    warnings.push(`${name} is null: ${(e as Error).message}`);
    return null;
  }
}

/** 95 % Wilson intervals per class or label (metrics/proportion.ts), null where the proportion has no denominator. */
export type PerClassCi95 = Record<string, [number, number] | null>;

/** The per-class intervals of metrics.json: recall (tp / support) and precision (tp / predicted), by class name. */
function perClassCi95(classes: readonly string[], counts: PrfCounts): { recall_ci95: PerClassCi95; precision_ci95: PerClassCi95 } {
  const each = classIntervals(counts);
  return {
    recall_ci95: Object.fromEntries(classes.map((name, j) => [name, each[j]!.recall])),
    precision_ci95: Object.fromEntries(classes.map((name, j) => [name, each[j]!.precision])),
  };
}

/** metrics.json of a multi-class model (ARCHITECTURE.md, "Tasks"). */
export interface MulticlassMetrics {
  n: number;
  task: 'multiclass';
  classes: string[];
  accuracy: number;
  /** 95 % Wilson interval of the accuracy (correct / n). */
  accuracy_ci95: [number, number] | null;
  /** Per class: 95 % Wilson intervals of its recall and precision. */
  recall_ci95: PerClassCi95;
  precision_ci95: PerClassCi95;
  balanced_accuracy: number;
  precision_macro: number;
  recall_macro: number;
  f1_macro: number;
  precision_weighted: number;
  recall_weighted: number;
  f1_weighted: number;
  top_k_accuracy: Record<string, number>;
  log_loss: number;
  auc: number | null;
  auc_weighted: number | null;
  confusion_matrix: number[][];
  classification_report: unknown;
  warnings: string[];
  unreadable?: { path: string; reason: string }[];
}

/** metrics.json of a multi-label model (ARCHITECTURE.md, "Tasks"). */
export interface MultilabelMetrics {
  n: number;
  task: 'multilabel';
  classes: string[];
  thresholds: number[];
  subset_accuracy: number;
  /** 95 % Wilson interval of the subset accuracy (images with every label right / n). */
  subset_accuracy_ci95: [number, number] | null;
  /** Per label: 95 % Wilson intervals of its recall and precision at its threshold. */
  recall_ci95: PerClassCi95;
  precision_ci95: PerClassCi95;
  hamming_loss: number;
  precision_macro: number;
  recall_macro: number;
  f1_macro: number;
  precision_micro: number;
  recall_micro: number;
  f1_micro: number;
  auc: number | null;
  auc_micro: number | null;
  average_precision_macro: number;
  average_precision_micro: number;
  classification_report: unknown;
  warnings: string[];
  unreadable?: { path: string; reason: string }[];
}

export interface MulticlassEvaluation {
  metrics: MulticlassMetrics;
  /** classification_report(digits=2) text. */
  reportText: string;
  predicted: Int32Array;
}

/** metrics.json of a multi-class model: y = class indices, probs = n x C softmax rows. */
export function multiclassEvaluation(y: Int32Array, probs: Float32Array, classes: readonly string[]): MulticlassEvaluation {
  const c = classes.length;
  const rows = rowsOf(probs, c);
  const predicted = argmaxRows(probs, c);
  const warnings: string[] = [];
  const labels = classes.map((_, j) => j);
  const opts = { labels, zeroDivision: 0 as const };
  const macro = multiclassPrf(y, predicted, 'macro', opts);
  const weighted = multiclassPrf(y, predicted, 'weighted', opts);
  const topK: Record<string, number> = {};
  for (let k = 2; k <= Math.min(5, c - 1); k++) topK[String(k)] = topKAccuracy(y, rows, k);
  const counts = multiclassCounts(y, predicted, labels);
  const metrics: MulticlassMetrics = {
    n: y.length, task: 'multiclass', classes: [...classes],
    accuracy: multiclassAccuracy(y, predicted),
    accuracy_ci95: wilsonCI95(counts.tp.reduce((a, b) => a + b, 0), y.length),
    ...perClassCi95(classes, counts),
    balanced_accuracy: multiclassBalancedAccuracy(y, predicted),
    precision_macro: macro.precision, recall_macro: macro.recall, f1_macro: macro.f1,
    precision_weighted: weighted.precision, recall_weighted: weighted.recall, f1_weighted: weighted.f1,
    top_k_accuracy: topK,
    log_loss: multiclassLogLoss(y, rows),
    auc: orNull('auc (one-vs-rest, macro)', warnings, () => multiclassRocAuc(y, rows, { average: 'macro' })),
    auc_weighted: orNull('auc_weighted (one-vs-rest, weighted)', warnings, () => multiclassRocAuc(y, rows, { average: 'weighted' })),
    confusion_matrix: multiclassConfusionMatrix(y, predicted, c),
    classification_report: classificationReport(y, predicted, { labels, targetNames: [...classes], outputDict: true, zeroDivision: 0 }),
    warnings,
  };
  const reportText = classificationReport(y, predicted, { labels, targetNames: [...classes], digits: 2, zeroDivision: 0 });
  return { metrics, reportText, predicted };
}

export interface MultilabelEvaluation {
  metrics: MultilabelMetrics;
  reportText: string;
  /** n x C predicted 0/1 at each label's threshold. */
  predicted: Uint8Array;
}

/** metrics.json of a multi-label model: y = n x C multi-hot, probs = n x C sigmoid rows, one threshold per label. */
export function multilabelEvaluation(y: Uint8Array, probs: Float32Array, classes: readonly string[], thresholds: readonly number[]): MultilabelEvaluation {
  const c = classes.length;
  const predicted = Uint8Array.from(probs, (p, i) => (p >= thresholds[i % c]! ? 1 : 0));
  const yRows = rowsOf(y, c), pRows = rowsOf(predicted, c), sRows = rowsOf(probs, c);
  const warnings: string[] = [];
  const labels = classes.map((_, j) => j);
  const opts = { labels, zeroDivision: 0 as const };
  const macro = multilabelPrf(yRows, pRows, 'macro', opts);
  const micro = multilabelPrf(yRows, pRows, 'micro', opts);
  const metrics: MultilabelMetrics = {
    n: y.length / c, task: 'multilabel', classes: [...classes], thresholds: [...thresholds],
    subset_accuracy: subsetAccuracy(yRows, pRows),
    subset_accuracy_ci95: wilsonCI95(yRows.filter((r, i) => r.every((v, j) => v === pRows[i]![j])).length, yRows.length),
    ...perClassCi95(classes, multilabelLabelCounts(yRows, pRows)),
    hamming_loss: hammingLoss(yRows, pRows),
    precision_macro: macro.precision, recall_macro: macro.recall, f1_macro: macro.f1,
    precision_micro: micro.precision, recall_micro: micro.recall, f1_micro: micro.f1,
    auc: orNull('auc (macro over labels)', warnings, () => multilabelRocAuc(yRows, sRows, { average: 'macro' })),
    auc_micro: orNull('auc_micro', warnings, () => multilabelRocAuc(yRows, sRows, { average: 'micro' })),
    average_precision_macro: multilabelAveragePrecision(yRows, sRows, { average: 'macro', warnings }),
    average_precision_micro: multilabelAveragePrecision(yRows, sRows, { average: 'micro', warnings }),
    classification_report: multilabelClassificationReport(yRows, pRows, { labels, targetNames: [...classes], outputDict: true, zeroDivision: 0 }),
    warnings,
  };
  const reportText = multilabelClassificationReport(yRows, pRows, { labels, targetNames: [...classes], digits: 2, zeroDivision: 0 });
  return { metrics, reportText, predicted };
}
