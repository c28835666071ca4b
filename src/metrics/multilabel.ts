// Metrics of a multilabel problem (C labels, each sample any subset of them), each equal to the
// scikit-learn function named in its comment on label-indicator matrices. Inputs: `yTrue` and `yPred`
// are N×C matrices of 0/1, `scores` an N×C matrix of finite scores (e.g. per-label sigmoid
// probabilities). C >= 2: with one column scikit-learn sees a binary problem; use the binary metrics.
import { averageBinaryScore, perColumnScores, type BinaryMetric, type BinaryScoreAverage } from './average-binary.js';
import { checkLabelMatrix, checkSameShape, checkScoreMatrix, type LabelMatrix } from './matrix.js';
import { averagePrecision } from './pr.js';
import {
  averagedPrfFromCounts, averagePrf, checkAverage, microCounts, prfFromCounts, prfSettings, pushWarnings, type PrfAverage,
  type PrfCounts, type PrfOptions, type PrfScores, type SklearnCompat, type ZeroDivision,
} from './prf.js';
import {
  checkDigits, formatReport, reportNames, type ClassificationReportDict, type ClassificationReportOptions,
} from './report.js';
import { rocAucScore } from './roc.js';

function labelMatrix(name: string, m: ArrayLike<ArrayLike<number>>): LabelMatrix {
  const out = checkLabelMatrix(name, m);
  if (out.cols < 2) {
    throw new RangeError(`${name} has 1 column: a multilabel problem needs at least 2 labels (use the binary metrics for one)`);
  }
  return out;
}

function pairOfMatrices(yTrue: ArrayLike<ArrayLike<number>>, yPred: ArrayLike<ArrayLike<number>>) {
  const t = labelMatrix('yTrue', yTrue);
  const p = checkLabelMatrix('yPred', yPred);
  checkSameShape('yTrue', t, 'yPred', p);
  return { t, p };
}

/** `hamming_loss(y_true, y_pred)`: the fraction of the N·C label entries that are wrong. */
export function hammingLoss(yTrue: ArrayLike<ArrayLike<number>>, yPred: ArrayLike<ArrayLike<number>>): number {
  const { t, p } = pairOfMatrices(yTrue, yPred);
  let wrong = 0;
  for (let k = 0; k < t.data.length; k++) if (t.data[k] !== p.data[k]) wrong++;
  return wrong / (t.rows * t.cols);
}

/** `accuracy_score(y_true, y_pred)` on label matrices: the fraction of samples whose label set is exactly right. */
export function subsetAccuracy(yTrue: ArrayLike<ArrayLike<number>>, yPred: ArrayLike<ArrayLike<number>>): number {
  const { t, p } = pairOfMatrices(yTrue, yPred);
  let exact = 0;
  for (let i = 0; i < t.rows; i++) {
    let same = true;
    for (let j = 0; j < t.cols && same; j++) same = t.data[i * t.cols + j] === p.data[i * t.cols + j];
    if (same) exact++;
  }
  return exact / t.rows;
}

/** Column indices to score: `labels` checked (distinct, each in [0, C)), or all columns. */
function selectLabels(labels: ArrayLike<number> | undefined, cols: number): number[] {
  if (labels === undefined) return Array.from({ length: cols }, (_, j) => j);
  const out = Array.from(labels);
  if (out.length === 0) throw new RangeError('labels: at least one label is required');
  out.forEach((l, i) => {
    if (!Number.isInteger(l) || l < 0 || l >= cols) {
      throw new RangeError(`labels[${i}] = ${String(l)}: expected a column index of the label matrices (an integer from 0 to ${cols - 1})`);
    }
  });
  if (new Set(out).size !== out.length) throw new RangeError('labels: contains duplicates');
  return out;
}

/**
 * multilabel_confusion_matrix's sufficient statistics over the selected columns: one entry per label,
 * or, `samplewise`, one per sample (the 'samples' average).
 */
export function multilabelCounts(t: LabelMatrix, p: LabelMatrix, labels: number[], samplewise = false): PrfCounts {
  const n = samplewise ? t.rows : labels.length;
  const tp = new Array<number>(n).fill(0);
  const predSum = new Array<number>(n).fill(0);
  const trueSum = new Array<number>(n).fill(0);
  for (let i = 0; i < t.rows; i++) {
    labels.forEach((col, j) => {
      const a = t.data[i * t.cols + col];
      const b = p.data[i * t.cols + col];
      const e = samplewise ? i : j;
      trueSum[e] += a;
      predSum[e] += b;
      tp[e] += a & b;
    });
  }
  return { tp, predSum, trueSum };
}

export interface MultilabelPrfOptions extends PrfOptions {
  /** Columns to score, in this order (default: all, 0..C-1). */
  labels?: ArrayLike<number>;
}

/** Per label (every column): true positives, predicted and true counts (multilabel_confusion_matrix's). */
export function multilabelLabelCounts(yTrue: ArrayLike<ArrayLike<number>>, yPred: ArrayLike<ArrayLike<number>>): PrfCounts {
  const { t, p } = pairOfMatrices(yTrue, yPred);
  return multilabelCounts(t, p, selectLabels(undefined, t.cols));
}

/** Per-label precision, recall, F1 and support (the number of samples having the label). */
export interface PerLabelPrf {
  labels: number[];
  precision: number[];
  recall: number[];
  f1: number[];
  support: number[];
}

/**
 * `precision_recall_fscore_support(Y_true, Y_pred, average=None, labels=, zero_division=)` on label
 * matrices: each label scored as its own binary problem. Ill-defined ratios are `zeroDivision`, with
 * scikit-learn's warnings added to `opts.warnings`.
 */
export function multilabelPrfPerLabel(yTrue: ArrayLike<ArrayLike<number>>, yPred: ArrayLike<ArrayLike<number>>,
  opts: MultilabelPrfOptions = {}): PerLabelPrf {
  const { zd, compat } = prfSettings(opts);
  const { t, p } = pairOfMatrices(yTrue, yPred);
  const labels = selectLabels(opts.labels, t.cols);
  const counts = multilabelCounts(t, p, labels);
  const warnings = new Set<string>();
  const v = prfFromCounts(counts, zd, compat, warnings);
  pushWarnings(opts.warnings, warnings);
  return { labels, ...v, support: counts.trueSum };
}

/**
 * `precision_score`, `recall_score` and `f1_score(Y_true, Y_pred, average=)` at once on label matrices:
 * 'micro' from the counts summed over labels, 'macro' the plain mean over labels, 'weighted' the mean
 * weighted by support, 'samples' the mean over samples of each sample's own precision, recall and F1.
 */
export function multilabelPrf(yTrue: ArrayLike<ArrayLike<number>>, yPred: ArrayLike<ArrayLike<number>>, average: PrfAverage,
  opts: MultilabelPrfOptions = {}): PrfScores {
  checkAverage(average, ['micro', 'macro', 'weighted', 'samples'] as const);
  const { zd, compat } = prfSettings(opts);
  const { t, p } = pairOfMatrices(yTrue, yPred);
  const labels = selectLabels(opts.labels, t.cols);
  const warnings = new Set<string>();
  const out = average === 'samples'
    ? samplesAverage(t, p, labels, zd, compat, warnings)
    : averagedPrfFromCounts(multilabelCounts(t, p, labels), average, zd, compat, warnings);
  pushWarnings(opts.warnings, warnings);
  return out;
}

/** The 'samples' average: each sample's own precision, recall and F1 over the selected labels, then their mean. */
function samplesAverage(t: LabelMatrix, p: LabelMatrix, labels: number[], zd: ZeroDivision, compat: SklearnCompat,
  warnings: Set<string>): PrfScores {
  const counts = multilabelCounts(t, p, labels, true);
  return averagePrf(prfFromCounts(counts, zd, compat, warnings, true), null, counts.predSum, zd, compat);
}

export function multilabelClassificationReport(
  yTrue: ArrayLike<ArrayLike<number>>, yPred: ArrayLike<ArrayLike<number>>, opts: ClassificationReportOptions & { outputDict: true },
): ClassificationReportDict;
export function multilabelClassificationReport(
  yTrue: ArrayLike<ArrayLike<number>>, yPred: ArrayLike<ArrayLike<number>>, opts?: ClassificationReportOptions & { outputDict?: false },
): string;
/**
 * `classification_report(Y_true, Y_pred, labels=, target_names=, digits=, zero_division=, output_dict=)`
 * on label matrices: one row per label (support = samples having it), then 'micro avg', 'macro avg',
 * 'weighted avg' and 'samples avg', byte for byte scikit-learn's text. `labels` are column indices.
 */
export function multilabelClassificationReport(
  yTrue: ArrayLike<ArrayLike<number>>,
  yPred: ArrayLike<ArrayLike<number>>,
  opts: ClassificationReportOptions & { outputDict?: boolean } = {},
): string | ClassificationReportDict {
  const { t, p } = pairOfMatrices(yTrue, yPred);
  const digits = checkDigits(opts.digits);
  const { zd, compat } = prfSettings(opts);
  const labels = selectLabels(opts.labels, t.cols);
  const warnings = new Set<string>();
  const names = reportNames(labels, opts.targetNames, opts.labels !== undefined, warnings);
  const counts = multilabelCounts(t, p, labels);
  const perLabel = prfFromCounts(counts, zd, compat, warnings);
  const micro = prfFromCounts(microCounts(counts), zd, compat, warnings);
  const averages: [string, PrfScores][] = [
    ['micro avg', { precision: micro.precision[0], recall: micro.recall[0], f1: micro.f1[0] }],
    ['macro avg', averagePrf(perLabel, null, counts.predSum, zd, compat)],
    ['weighted avg', averagePrf(perLabel, counts.trueSum, counts.predSum, zd, compat)],
    ['samples avg', samplesAverage(t, p, labels, zd, compat, warnings)],
  ];
  pushWarnings(opts.warnings, warnings);
  return formatReport({ names, perLabel, support: counts.trueSum, averages, digits, floatSupport: false,
    outputDict: opts.outputDict ?? false });
}

/** The averages of the multilabel ranking scores (ROC AUC, average precision). */
export type MultilabelScoreAverage = BinaryScoreAverage;

function labelsAndScores(yTrue: ArrayLike<ArrayLike<number>>, scores: ArrayLike<ArrayLike<number>>) {
  const t = labelMatrix('yTrue', yTrue);
  const s = checkScoreMatrix('scores', scores);
  checkSameShape('yTrue', t, 'scores', s);
  return { t, s };
}

/** rocAucScore, naming the label (or sample) whose AUC is undefined because yTrue holds one value there. */
function aucMetric(unit: 'label' | 'sample'): BinaryMetric {
  return (y, s, index) => {
    let positives = 0;
    for (let i = 0; i < y.length; i++) positives += y[i];
    if (positives === 0 || positives === y.length) {
      const v = positives === 0 ? 0 : 1;
      const where = index < 0 ? 'yTrue (all labels of all samples, the micro average)'
        : unit === 'label' ? `label ${index} of yTrue (every sample)` : `sample ${index} of yTrue (every label)`;
      throw new RangeError(`ROC AUC is not defined when only one class is present: ${where} is ${v} throughout ` +
        '(scikit-learn raises too)');
    }
    return rocAucScore(y, s);
  };
}

/**
 * `roc_auc_score(Y_true, scores, average=)` (default 'macro'): each label's binary ROC AUC (ties count one
 * half), averaged as averageBinaryScore says ('micro': one AUC over all entries; 'samples': per sample
 * across its labels). Like scikit-learn, this throws when a label that is averaged is all 0 or all 1 in
 * yTrue (for 'samples': a sample whose labels are all 0 or all 1), naming it; 'weighted' gives 0 when
 * yTrue has no positive at all.
 */
export function multilabelRocAuc(yTrue: ArrayLike<ArrayLike<number>>, scores: ArrayLike<ArrayLike<number>>,
  opts: { average?: MultilabelScoreAverage } = {}): number {
  const average = checkAverage(opts.average ?? 'macro', ['micro', 'macro', 'weighted', 'samples'] as const);
  const { t, s } = labelsAndScores(yTrue, scores);
  return averageBinaryScore(aucMetric(average === 'samples' ? 'sample' : 'label'), t, s, average);
}

/** `roc_auc_score(Y_true, scores, average=None)`: the ROC AUC of each label. */
export function multilabelRocAucPerLabel(yTrue: ArrayLike<ArrayLike<number>>, scores: ArrayLike<ArrayLike<number>>): number[] {
  const { t, s } = labelsAndScores(yTrue, scores);
  return perColumnScores(aucMetric('label'), t, s);
}

const NO_POSITIVE = 'No positive class found in y_true, recall is set to one for all thresholds.';

function apMetric(warnings: Set<string>): BinaryMetric {
  return (y, s) => {
    if (!y.includes(1)) warnings.add(NO_POSITIVE);
    return averagePrecision(y, s);
  };
}

/**
 * `average_precision_score(Y_true, scores, average=)` (default 'macro'): each label's average precision
 * (the step-function area under its precision-recall curve), averaged as averageBinaryScore says. A label
 * (or, for 'samples', a sample) without positives scores 0, with scikit-learn's warning in `warnings`.
 */
export function multilabelAveragePrecision(yTrue: ArrayLike<ArrayLike<number>>, scores: ArrayLike<ArrayLike<number>>,
  opts: { average?: MultilabelScoreAverage; warnings?: string[] } = {}): number {
  const average = checkAverage(opts.average ?? 'macro', ['micro', 'macro', 'weighted', 'samples'] as const);
  const { t, s } = labelsAndScores(yTrue, scores);
  const warnings = new Set<string>();
  const out = averageBinaryScore(apMetric(warnings), t, s, average);
  pushWarnings(opts.warnings, warnings);
  return out;
}

/** `average_precision_score(Y_true, scores, average=None)`: the average precision of each label. */
export function multilabelAveragePrecisionPerLabel(yTrue: ArrayLike<ArrayLike<number>>, scores: ArrayLike<ArrayLike<number>>,
  opts: { warnings?: string[] } = {}): number[] {
  const { t, s } = labelsAndScores(yTrue, scores);
  const warnings = new Set<string>();
  const out = perColumnScores(apMetric(warnings), t, s);
  pushWarnings(opts.warnings, warnings);
  return out;
}
