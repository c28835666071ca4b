// The metrics.json structure of an evaluation (see ARCHITECTURE.md, "Evaluation directory").
import { aucBootstrapCI, type BootstrapOptions } from './bootstrap.js';
import { countConfusion } from './confusion.js';
import { averagePrecision } from './pr.js';
import { classificationReport, type ClassificationReportDict } from './report.js';
import { auc, checkLabelsAndScores, rocCurve } from './roc.js';
import { wilsonCI95 } from './proportion.js';
import { accuracy, balancedAccuracy, brierScore, f1, logLoss, mccFromCounts, precision, recall, specificity } from './scalar.js';

export interface MetricsJson {
  n: number;
  classes: [string, string];
  positive_class: string;
  threshold: number;
  /** null when yTrue has one class only (ROC AUC undefined). */
  auc: number | null;
  auc_ci95: [number | null, number | null];
  accuracy: number;
  balanced_accuracy: number;
  precision: number;
  recall: number;
  specificity: number;
  /** Negative predictive value tn / (tn + fn) (0 for 0/0, as precision). */
  npv: number;
  /**
   * 95 % Wilson score intervals of the proportions at the threshold (scipy's binomtest(k, n).proportion_ci(method=
   * 'wilson')): accuracy (correct / n), precision (tp / predicted positive), recall or sensitivity (tp / positives),
   * specificity (tn / negatives), npv (tn / predicted negative); null where the denominator is 0.
   */
  accuracy_ci95: [number, number] | null;
  precision_ci95: [number, number] | null;
  recall_ci95: [number, number] | null;
  specificity_ci95: [number, number] | null;
  npv_ci95: [number, number] | null;
  f1: number;
  mcc: number;
  average_precision: number;
  brier: number;
  log_loss: number;
  confusion: { tn: number; fp: number; fn: number; tp: number };
  classification_report: ClassificationReportDict;
  /** roc_curve(drop_intermediate=True); +Infinity (first threshold) and NaN are written as null. */
  roc: { fpr: (number | null)[]; tpr: (number | null)[]; thresholds: (number | null)[] };
  /** Why some value is null or conventional (one class only, 0/0 set to 0), else empty. */
  warnings: string[];
}

export interface BinaryMetricsOptions {
  /** [negative, positive] class names (default ['0', '1']). */
  classes?: readonly [string, string] | readonly string[];
  /** Bootstrap settings of auc_ci95 (default 1000 resamples, seed 0). */
  bootstrap?: BootstrapOptions;
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** The Wilson intervals of metrics.json's proportions, from the confusion counts. */
function proportionIntervals(c: { tn: number; fp: number; fn: number; tp: number }): Pick<MetricsJson,
  'accuracy_ci95' | 'precision_ci95' | 'recall_ci95' | 'specificity_ci95' | 'npv_ci95'> {
  return {
    accuracy_ci95: wilsonCI95(c.tp + c.tn, c.tp + c.tn + c.fp + c.fn),
    precision_ci95: wilsonCI95(c.tp, c.tp + c.fp),
    recall_ci95: wilsonCI95(c.tp, c.tp + c.fn),
    specificity_ci95: wilsonCI95(c.tn, c.tn + c.fp),
    npv_ci95: wilsonCI95(c.tn, c.tn + c.fn),
  };
}

/**
 * Every metric of metrics.json for labels yTrue (0/1) and positive-class probabilities `prob`, with
 * predictions positive iff prob >= threshold. Precision, recall, specificity and F1 use 0 for 0/0 (like
 * scikit-learn's default); the classification report uses labels [0, 1] and the class names, so both rows
 * are always present. With one class in yTrue, auc, auc_ci95 and the undefined ROC rates are null, and
 * `warnings` says why.
 */
export function binaryMetrics(yTrue: ArrayLike<number>, prob: ArrayLike<number>, threshold: number,
  opts: BinaryMetricsOptions = {}): MetricsJson {
  const { y, s } = checkLabelsAndScores(yTrue, prob, 'prob');
  if (typeof threshold !== 'number' || Number.isNaN(threshold)) throw new RangeError(`threshold = ${String(threshold)}: expected a number`);
  const classes = opts.classes ?? ['0', '1'];
  if (classes.length !== 2 || classes.some((c) => typeof c !== 'string')) {
    throw new RangeError('classes: expected exactly two class names, [negative, positive]');
  }
  const names: [string, string] = [classes[0], classes[1]];
  const pred = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) pred[i] = s[i] >= threshold ? 1 : 0;
  const confusion = countConfusion(y, pred);
  const warnings: string[] = [];

  const roc = rocCurve(y, s);
  warnings.push(...roc.warnings);
  const bothClasses = confusion.tp + confusion.fn > 0 && confusion.tn + confusion.fp > 0;
  const aucValue = bothClasses ? auc(roc.fpr, roc.tpr) : NaN;
  const ci = aucBootstrapCI(y, s, opts.bootstrap);
  if (!bothClasses) warnings.push('Only one class present in y_true: ROC AUC and its confidence interval are not defined');
  else if (ci.nSkipped > 0) warnings.push(`auc_ci95: ${ci.nSkipped} of ${ci.nBoot} bootstrap resamples had one class only and were skipped`);

  const reportWarnings: string[] = [];
  const report = classificationReport(y, pred, { labels: [0, 1], targetNames: names, outputDict: true, zeroDivision: 'warn', warnings: reportWarnings });
  warnings.push(...reportWarnings);

  return {
    n: y.length,
    classes: names,
    positive_class: names[1],
    threshold,
    auc: finiteOrNull(aucValue),
    auc_ci95: [finiteOrNull(ci.lo), finiteOrNull(ci.hi)],
    accuracy: accuracy(y, pred),
    balanced_accuracy: balancedAccuracy(y, pred),
    precision: precision(y, pred, { zeroDivision: 0 }),
    recall: recall(y, pred, { zeroDivision: 0 }),
    specificity: specificity(y, pred, { zeroDivision: 0 }),
    npv: confusion.tn + confusion.fn === 0 ? 0 : confusion.tn / (confusion.tn + confusion.fn),
    ...proportionIntervals(confusion),
    f1: f1(y, pred, { zeroDivision: 0 }),
    mcc: mccFromCounts(confusion),
    average_precision: averagePrecision(y, s),
    brier: brierScore(y, s),
    log_loss: logLoss(y, s),
    confusion,
    classification_report: report,
    roc: {
      fpr: roc.fpr.map(finiteOrNull),
      tpr: roc.tpr.map(finiteOrNull),
      thresholds: roc.thresholds.map(finiteOrNull),
    },
    warnings,
  };
}
