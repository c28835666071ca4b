// Metrics of a multiclass problem (C classes, each sample exactly one), each equal to the scikit-learn
// function named in its comment. Inputs: `yTrue` and `yPred` hold class indices 0..C-1; `proba` is the
// N×C matrix of class probabilities (rows summing to 1), `scores` any N×C matrix of finite scores.
// The C×C confusion matrix and the classification report are confusion.ts's and report.ts's functions,
// which take class indices as they are (multiclassConfusionMatrix fixes the labels to 0..C-1).
import { averageBinaryScore, oneHot, perColumnScores, type BinaryMetric } from './average-binary.js';
import { confusionMatrix, labelCounts, uniqueLabels } from './confusion.js';
import { checkClassIndices, checkProbaMatrix, checkScoreMatrix, column, type ScoreMatrix } from './matrix.js';
import { npMean, npSum } from './numeric.js';
import {
  averagedPrfFromCounts, checkAverage, prfFromCounts, prfSettings, pushWarnings, type PrfCounts, type PrfOptions, type PrfScores,
} from './prf.js';
import { rocAucScore } from './roc.js';

/** Checked (yTrue, yPred) of the same length. */
function pairOfIndices(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): { t: Int32Array; p: Int32Array } {
  const t = checkClassIndices('yTrue', yTrue);
  const p = checkClassIndices('yPred', yPred);
  if (t.length !== p.length) {
    throw new RangeError(`yTrue has ${t.length} entries but yPred has ${p.length}: they must have the same length`);
  }
  return { t, p };
}

/** Checked (yTrue, matrix): yTrue's indices below the matrix's column count, one row per sample. */
function indicesAndMatrix(yTrue: ArrayLike<number>, m: ScoreMatrix, name: string): Int32Array {
  const t = checkClassIndices('yTrue', yTrue, m.cols);
  if (t.length !== m.rows) {
    throw new RangeError(`yTrue has ${t.length} entries but ${name} has ${m.rows} rows: they must have the same length`);
  }
  return t;
}

/** `accuracy_score(y_true, y_pred)`: the fraction of samples whose predicted class is the true one. */
export function multiclassAccuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  const { t, p } = pairOfIndices(yTrue, yPred);
  let correct = 0;
  for (let i = 0; i < t.length; i++) if (t[i] === p[i]) correct++;
  return correct / t.length;
}

/**
 * `balanced_accuracy_score(y_true, y_pred)`: the mean recall over the classes present in yTrue, in
 * ascending class order. A class predicted but absent from yTrue is left out, with scikit-learn's
 * warning "y_pred contains classes not in y_true" added to `warnings`.
 */
export function multiclassBalancedAccuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>,
  opts: { warnings?: string[] } = {}): number {
  const { t, p } = pairOfIndices(yTrue, yPred);
  const { tp, trueSum } = labelCounts(t, p, uniqueLabels(t, p));
  const perClass: number[] = [];
  tp.forEach((v, i) => { if (trueSum[i] > 0) perClass.push(v / trueSum[i]); });
  if (perClass.length < tp.length) pushWarnings(opts.warnings, ['y_pred contains classes not in y_true']);
  return npMean(perClass);
}

/** `confusion_matrix(y_true, y_pred, labels=range(C))`: C×C, rows true classes, columns predicted. */
export function multiclassConfusionMatrix(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, numClasses: number): number[][] {
  checkNumClasses(numClasses, 1);
  const t = checkClassIndices('yTrue', yTrue, numClasses);
  const p = checkClassIndices('yPred', yPred, numClasses);
  return confusionMatrix(t, p, { labels: Array.from({ length: numClasses }, (_, i) => i) }).matrix;
}

export interface MulticlassPrfOptions extends PrfOptions {
  /**
   * Classes to score, in this order (default: the classes present in yTrue or yPred, ascending, as
   * scikit-learn does). Give [0, ..., C-1] to count a class that neither array holds (its scores are
   * `zeroDivision`).
   */
  labels?: ArrayLike<number>;
}

/** Per-class precision, recall, F1 and support (the number of true samples of each class). */
export interface PerClassPrf {
  labels: number[];
  precision: number[];
  recall: number[];
  f1: number[];
  support: number[];
}

function countsOf(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, labelsOpt: ArrayLike<number> | undefined) {
  const { t, p } = pairOfIndices(yTrue, yPred);
  const labels = labelsOpt === undefined ? uniqueLabels(t, p) : Array.from(checkClassIndices('labels', labelsOpt));
  return { labels, counts: labelCounts(t, p, labels) };
}

/** Per class of `labels` (default: those present): true positives, predicted and true counts. */
export const multiclassCounts = (yTrue: ArrayLike<number>, yPred: ArrayLike<number>, labels?: ArrayLike<number>): PrfCounts => countsOf(yTrue, yPred, labels).counts;

/**
 * `precision_recall_fscore_support(y_true, y_pred, average=None, labels=, zero_division=)`: one entry per
 * class. Ill-defined ratios (no predicted / no true sample of a class) are `zeroDivision`, with
 * scikit-learn's warnings added to `opts.warnings`.
 */
export function multiclassPrfPerClass(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, opts: MulticlassPrfOptions = {}): PerClassPrf {
  const { zd, compat } = prfSettings(opts);
  const { labels, counts } = countsOf(yTrue, yPred, opts.labels);
  const warnings = new Set<string>();
  const v = prfFromCounts(counts, zd, compat, warnings);
  pushWarnings(opts.warnings, warnings);
  return { labels, ...v, support: counts.trueSum };
}

/**
 * `precision_score`, `recall_score` and `f1_score(y_true, y_pred, average=)` at once (the three values of
 * precision_recall_fscore_support): 'macro' is the plain mean over the classes, 'weighted' the mean
 * weighted by support, 'micro' the ratios of the summed counts (all equal to accuracy when every class
 * is counted).
 */
export function multiclassPrf(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, average: 'micro' | 'macro' | 'weighted',
  opts: MulticlassPrfOptions = {}): PrfScores {
  checkAverage(average, ['micro', 'macro', 'weighted'] as const);
  const { zd, compat } = prfSettings(opts);
  const { counts } = countsOf(yTrue, yPred, opts.labels);
  const warnings = new Set<string>();
  const out = averagedPrfFromCounts(counts, average, zd, compat, warnings);
  pushWarnings(opts.warnings, warnings);
  return out;
}

/**
 * `top_k_accuracy_score(y_true, scores, k=k, labels=range(C))`: the fraction of samples whose true class
 * is among the k highest-scored. Ties are ranked as scikit-learn's stable argsort reversed does: of equal
 * scores, the higher class index ranks first. `scores` needs no normalisation. C = 2 follows
 * scikit-learn's binary rule (it only takes one score column there): with k = 1 the prediction is class 1
 * iff scores[i][1] > 0.5 when column 1 lies in [0, 1] (else > 0). k >= C gives 1 and scikit-learn's warning.
 */
export function topKAccuracy(yTrue: ArrayLike<number>, scores: ArrayLike<ArrayLike<number>>, k: number,
  opts: { warnings?: string[] } = {}): number {
  const s = checkScoreMatrix('scores', scores);
  const t = indicesAndMatrix(yTrue, s, 'scores');
  if (!Number.isInteger(k) || k < 1) throw new RangeError(`k = ${String(k)}: expected a positive integer`);
  const c = s.cols;
  checkNumClasses(c, 2, 'scores');
  if (k >= c) {
    pushWarnings(opts.warnings, [`'k' (${k}) greater than or equal to 'n_classes' (${c}) will result in a perfect score and is therefore meaningless.`]);
  }
  let hits = 0;
  if (c === 2) {
    const p1 = column(s, 1);
    const threshold = p1.every((v) => v >= 0 && v <= 1) ? 0.5 : 0;
    for (let i = 0; i < t.length; i++) if (k >= 2 || (p1[i] > threshold ? 1 : 0) === t[i]) hits++;
    return hits / t.length;
  }
  for (let i = 0; i < t.length; i++) {
    const row = i * c;
    const own = s.data[row + t[i]];
    let ahead = 0; // classes ranked before the true one
    for (let j = 0; j < c; j++) {
      const v = s.data[row + j];
      if (v > own || (v === own && j > t[i])) ahead++;
    }
    if (ahead < k) hits++;
  }
  return hits / t.length;
}

/**
 * `log_loss(y_true, proba, labels=range(C))` with scikit-learn 1.2's arithmetic (Debian 12), as the
 * binary logLoss: each probability is clipped to [eps, 1 - eps] (eps = 2^-52), each row renormalised
 * by its sum, and the loss is the mean of -log(probability of the true class); so a confidently wrong 0
 * costs -log(eps) ≈ 36.04, not infinity. scikit-learn >= 1.5 no longer renormalises after clipping; for
 * rows that sum to 1 (which is checked here) the two differ by rounding only. yTrue may lack classes.
 */
export function multiclassLogLoss(yTrue: ArrayLike<number>, proba: ArrayLike<ArrayLike<number>>): number {
  const m = checkProbaMatrix('proba', proba);
  const t = indicesAndMatrix(yTrue, m, 'proba');
  checkNumClasses(m.cols, 2, 'proba');
  const eps = Number.EPSILON;
  const clip = (v: number) => Math.min(Math.max(v, eps), 1 - eps);
  const c = m.cols;
  const clipped = new Float64Array(c);
  const loss = new Float64Array(t.length);
  for (let i = 0; i < t.length; i++) {
    for (let j = 0; j < c; j++) clipped[j] = clip(m.data[i * c + j]);
    loss[i] = -Math.log(clipped[t[i]] / npSum(clipped)); // the row's sum in NumPy's order (sum(axis=1))
  }
  return npMean(loss);
}

/** The averages of one-vs-rest ROC AUC. */
export type OvrAverage = 'macro' | 'weighted' | 'micro';

/**
 * `roc_auc_score(y_true, proba, multi_class='ovr', average=, labels=range(C))`: the ROC AUC of each class
 * against the rest (binary rocAucScore: ties count one half), averaged: 'macro' (default; what training
 * monitors as val_auc) the plain mean, 'weighted' by class frequency in yTrue, 'micro' the AUC of the
 * flattened one-hot matrix against the flattened probabilities.
 *
 * A class absent from yTrue has no one-vs-rest AUC: like scikit-learn, this throws (for 'macro' and
 * 'weighted'), naming the class. C = 2 gives the binary AUC of class 1, rocAucScore(yTrue, proba[:, 1]),
 * for every average: that is what scikit-learn computes for a binary yTrue.
 */
export function multiclassRocAuc(yTrue: ArrayLike<number>, proba: ArrayLike<ArrayLike<number>>,
  opts: { average?: OvrAverage } = {}): number {
  const average = checkAverage(opts.average ?? 'macro', ['macro', 'weighted', 'micro'] as const);
  const m = checkProbaMatrix('proba', proba);
  const t = indicesAndMatrix(yTrue, m, 'proba');
  checkNumClasses(m.cols, 2, 'proba');
  if (m.cols === 2) return ovrMetric()(Uint8Array.from(t), column(m, 1), 1);
  return averageBinaryScore(ovrMetric(), oneHot(t, m.cols), m, average);
}

/**
 * The one-vs-rest ROC AUC of each class (roc_auc_score(..., multi_class='ovr', average=None)): entry j
 * is the AUC of "class j" against the rest scored by proba[:, j]. Throws for a class absent from yTrue.
 */
export function ovrRocAucPerClass(yTrue: ArrayLike<number>, proba: ArrayLike<ArrayLike<number>>): number[] {
  const m = checkProbaMatrix('proba', proba);
  const t = indicesAndMatrix(yTrue, m, 'proba');
  checkNumClasses(m.cols, 2, 'proba');
  return perColumnScores(ovrMetric(), oneHot(t, m.cols), m);
}

/** rocAucScore with the reason named when a class is absent from yTrue (or is every sample). */
function ovrMetric(): BinaryMetric {
  return (y, s, j) => {
    let positives = 0;
    for (let i = 0; i < y.length; i++) positives += y[i];
    if (positives === 0) {
      throw new RangeError(`class ${j} does not occur in yTrue: its one-vs-rest ROC AUC is not defined (scikit-learn raises too)`);
    }
    if (positives === y.length) {
      throw new RangeError(`every sample of yTrue is class ${j}: one-vs-rest ROC AUC is not defined with one class present`);
    }
    return rocAucScore(y, s);
  };
}

function checkNumClasses(c: number, min: number, name?: string): void {
  if (!Number.isInteger(c) || c < min) {
    throw new RangeError(name === undefined
      ? `numClasses = ${String(c)}: expected an integer >= ${min}`
      : `${name} has ${c} column${c === 1 ? '' : 's'}: a multiclass problem needs at least ${min} classes`);
  }
}
