// Scalar metrics of a binary problem (labels 0 = negative, 1 = positive), each equal to the scikit-learn
// function named in its comment.
import { countConfusion } from './confusion.js';
import { npMean } from './numeric.js';
import { checkZeroDivision, type SklearnCompat, type ZeroDivision } from './report.js';
import { checkBinaryLabels, checkProbabilities, checkSameLength } from './validate.js';

function pair(yTrue: ArrayLike<number>, yPred: ArrayLike<number>) {
  const t = checkBinaryLabels('yTrue', yTrue);
  const p = checkBinaryLabels('yPred', yPred);
  checkSameLength('yTrue', t, 'yPred', p);
  return countConfusion(t, p);
}

function divide(num: number, den: number, zeroDivision: ZeroDivision): number {
  checkZeroDivision(zeroDivision);
  if (den !== 0) return num / den;
  return zeroDivision === 'warn' ? 0 : zeroDivision;
}

export interface ZeroDivisionOption {
  /** Value of 0/0 (default 'warn', which gives 0 like scikit-learn). */
  zeroDivision?: ZeroDivision;
}

/** `accuracy_score`: the fraction of correct predictions. */
export function accuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  const c = pair(yTrue, yPred);
  return (c.tp + c.tn) / (c.tp + c.tn + c.fp + c.fn);
}

/**
 * `balanced_accuracy_score`: the mean recall over the classes present in yTrue (a class missing from yTrue
 * is left out, as scikit-learn does with a warning).
 */
export function balancedAccuracy(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  const c = pair(yTrue, yPred);
  const perClass: number[] = [];
  if (c.tn + c.fp > 0) perClass.push(c.tn / (c.tn + c.fp));
  if (c.tp + c.fn > 0) perClass.push(c.tp / (c.tp + c.fn));
  return npMean(perClass);
}

/** `precision_score` (pos_label=1): tp / (tp + fp). */
export function precision(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, opts: ZeroDivisionOption = {}): number {
  const c = pair(yTrue, yPred);
  return divide(c.tp, c.tp + c.fp, opts.zeroDivision ?? 'warn');
}

/** `recall_score` (pos_label=1), also called sensitivity or true positive rate: tp / (tp + fn). */
export function recall(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, opts: ZeroDivisionOption = {}): number {
  const c = pair(yTrue, yPred);
  return divide(c.tp, c.tp + c.fn, opts.zeroDivision ?? 'warn');
}

/** Sensitivity: an alias of recall. */
export const sensitivity = recall;

/** Specificity (true negative rate) = `recall_score(pos_label=0)`: tn / (tn + fp). */
export function specificity(yTrue: ArrayLike<number>, yPred: ArrayLike<number>, opts: ZeroDivisionOption = {}): number {
  const c = pair(yTrue, yPred);
  return divide(c.tn, c.tn + c.fp, opts.zeroDivision ?? 'warn');
}

/**
 * `f1_score` (pos_label=1). compat 'current' (default, scikit-learn >= 1.4): 2·tp / (2·tp + fp + fn),
 * zeroDivision only when tp + fp + fn = 0. compat '1.2': 2·P·R / (P + R) on zero-division-substituted P, R.
 */
export function f1(yTrue: ArrayLike<number>, yPred: ArrayLike<number>,
  opts: ZeroDivisionOption & { compat?: SklearnCompat } = {}): number {
  const c = pair(yTrue, yPred);
  const zd = opts.zeroDivision ?? 'warn';
  if (opts.compat === '1.2') {
    const p = divide(c.tp, c.tp + c.fp, zd);
    const r = divide(c.tp, c.tp + c.fn, zd);
    const denom = p + r === 0 ? 1 : p + r;
    return (2 * p * r) / denom;
  }
  return divide(2 * c.tp, 2 * c.tp + c.fp + c.fn, zd);
}

/**
 * `matthews_corrcoef`, with scikit-learn's arithmetic (covariances from the confusion matrix's row and
 * column sums); 0 when a row or column of the confusion matrix is empty (the correlation is undefined).
 */
export function mcc(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): number {
  return mccFromCounts(pair(yTrue, yPred));
}

export function mccFromCounts(c: { tn: number; fp: number; fn: number; tp: number }): number {
  const t0 = c.tn + c.fp, t1 = c.fn + c.tp; // true-label sums (rows)
  const p0 = c.tn + c.fn, p1 = c.fp + c.tp; // predicted-label sums (columns)
  const n = p0 + p1;
  const covYtYp = (c.tn + c.tp) * n - (t0 * p0 + t1 * p1);
  const covYpYp = n * n - (p0 * p0 + p1 * p1);
  const covYtYt = n * n - (t0 * t0 + t1 * t1);
  if (covYpYp * covYtYt === 0) return 0;
  return covYtYp / Math.sqrt(covYtYt * covYpYp);
}

/** `brier_score_loss`: the mean squared difference between the probability and the 0/1 label. */
export function brierScore(yTrue: ArrayLike<number>, prob: ArrayLike<number>): number {
  const y = checkBinaryLabels('yTrue', yTrue);
  const p = checkProbabilities('prob', prob);
  checkSameLength('yTrue', y, 'prob', p);
  const sq = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) { const d = y[i] - p[i]; sq[i] = d * d; }
  return npMean(sq);
}

/**
 * `log_loss(y_true, prob, labels=[0, 1])` with scikit-learn 1.2's arithmetic: probabilities are clipped to
 * [eps, 1 - eps] (eps = 2^-52, float64's machine epsilon, the "auto" eps), the pair (1 - p, p) is
 * renormalized by its sum, and the loss is the mean of -log(probability of the true class). So a
 * confidently wrong 0 or 1 costs -log(eps) ≈ 36.04 instead of infinity. Because the labels are fixed to
 * {0, 1}, one class in yTrue is fine (scikit-learn without `labels` would raise). Unlike 1.2, and like
 * current scikit-learn, probabilities outside [0, 1] are an error rather than silently clipped.
 */
export function logLoss(yTrue: ArrayLike<number>, prob: ArrayLike<number>): number {
  const y = checkBinaryLabels('yTrue', yTrue);
  const p = checkProbabilities('prob', prob);
  checkSameLength('yTrue', y, 'prob', p);
  const eps = Number.EPSILON;
  const loss = new Float64Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const pc = Math.min(Math.max(p[i], eps), 1 - eps);
    const q = 1 - pc;
    const sum = q + pc;
    loss[i] = -Math.log((y[i] === 1 ? pc : q) / sum);
  }
  return npMean(loss);
}
