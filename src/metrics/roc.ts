// ROC curve and its area, as scikit-learn computes them (_binary_clf_curve, roc_curve, auc).
import { npSum } from './numeric.js';
import { checkBinaryLabels, checkFinite, checkSameLength } from './validate.js';

/** Cumulative counts at each distinct score, highest score first (scikit-learn's _binary_clf_curve). */
export interface ClfCurve {
  /** fps[i]: negatives with score >= thresholds[i]. */
  fps: Float64Array;
  /** tps[i]: positives with score >= thresholds[i]. */
  tps: Float64Array;
  /** The distinct scores, decreasing. */
  thresholds: Float64Array;
}

/** Validates (0/1 labels, finite scores, same length, non-empty) and returns typed copies. */
export function checkLabelsAndScores(yTrue: ArrayLike<number>, scores: ArrayLike<number>, scoreName = 'scores'):
  { y: Uint8Array; s: Float64Array } {
  const y = checkBinaryLabels('yTrue', yTrue);
  const s = checkFinite(scoreName, scores);
  checkSameLength('yTrue', y, scoreName, s);
  return { y, s };
}

/** Sample indices ordered by decreasing score, exactly as `np.argsort(s, kind="mergesort")[::-1]`. */
export function descendingOrder(s: Float64Array): Uint32Array {
  const idx = Array.from({ length: s.length }, (_, i) => i);
  idx.sort((a, b) => s[a] - s[b] || a - b); // stable ascending, like mergesort
  return Uint32Array.from(idx.reverse());
}

/** scikit-learn's _binary_clf_curve on validated input. */
export function binaryClfCurve(y: Uint8Array, s: Float64Array): ClfCurve {
  const order = descendingOrder(s);
  const n = order.length;
  const fps: number[] = [];
  const tps: number[] = [];
  const thr: number[] = [];
  let tp = 0;
  for (let i = 0; i < n; i++) {
    tp += y[order[i]];
    // A threshold sits at the last sample of each run of equal scores (np.diff(score) != 0).
    if (i === n - 1 || s[order[i]] - s[order[i + 1]] !== 0) {
      tps.push(tp);
      fps.push(i + 1 - tp);
      thr.push(s[order[i]]);
    }
  }
  return { fps: Float64Array.from(fps), tps: Float64Array.from(tps), thresholds: Float64Array.from(thr) };
}

export interface RocCurve {
  /** Increasing false positive rates: fpr[i] is the rate of negatives with score >= thresholds[i]. */
  fpr: number[];
  /** Increasing true positive rates: tpr[i] is the rate of positives with score >= thresholds[i]. */
  tpr: number[];
  /** Decreasing; thresholds[0] = +Infinity stands for "nothing predicted positive". */
  thresholds: number[];
  /** scikit-learn's UndefinedMetricWarning texts (one class missing from yTrue), else empty. */
  warnings: string[];
}

/**
 * `sklearn.metrics.roc_curve(y_true, y_score, drop_intermediate=)`, as in scikit-learn >= 1.3:
 * thresholds[0] is +Infinity (scikit-learn 1.2 wrote max(score) + 1 there; every other entry is the same).
 * The rule is: positive iff score >= threshold.
 *
 * One class only: when yTrue has no negatives every fpr is NaN, when it has no positives every tpr is NaN,
 * and a warning is added to `warnings`, as scikit-learn does (it warns, it does not raise).
 */
export function rocCurve(yTrue: ArrayLike<number>, scores: ArrayLike<number>, opts: { dropIntermediate?: boolean } = {}): RocCurve {
  const { y, s } = checkLabelsAndScores(yTrue, scores);
  let { fps, tps, thresholds } = binaryClfCurve(y, s);
  if ((opts.dropIntermediate ?? true) && fps.length > 2) {
    // Keep the end points and every point where the curve bends (non-zero second difference).
    const keep: number[] = [0];
    for (let i = 1; i < fps.length - 1; i++) {
      const d2f = fps[i + 1] - 2 * fps[i] + fps[i - 1];
      const d2t = tps[i + 1] - 2 * tps[i] + tps[i - 1];
      if (d2f !== 0 || d2t !== 0) keep.push(i);
    }
    keep.push(fps.length - 1);
    fps = Float64Array.from(keep, (i) => fps[i]);
    tps = Float64Array.from(keep, (i) => tps[i]);
    thresholds = Float64Array.from(keep, (i) => thresholds[i]);
  }
  const warnings: string[] = [];
  const negatives = fps[fps.length - 1];
  const positives = tps[tps.length - 1];
  const fpr = [0];
  const tpr = [0];
  for (let i = 0; i < fps.length; i++) {
    fpr.push(fps[i] / negatives);
    tpr.push(tps[i] / positives);
  }
  if (negatives <= 0) {
    warnings.push('No negative samples in y_true, false positive value should be meaningless');
    fpr.fill(NaN);
  }
  if (positives <= 0) {
    warnings.push('No positive samples in y_true, true positive value should be meaningless');
    tpr.fill(NaN);
  }
  return { fpr, tpr, thresholds: [Infinity, ...thresholds], warnings };
}

/**
 * `sklearn.metrics.auc(x, y)`: trapezoidal area, x monotonic (either direction), NumPy's np.trapz
 * arithmetic: sum(dx * (y[i+1] + y[i]) / 2).
 */
export function auc(x: ArrayLike<number>, y: ArrayLike<number>): number {
  checkSameLength('x', x, 'y', y);
  if (x.length < 2) throw new RangeError(`auc needs at least 2 points, got ${x.length}`);
  let direction = 1;
  let anyDecrease = false;
  let allNonIncreasing = true;
  for (let i = 1; i < x.length; i++) {
    const dx = x[i] - x[i - 1];
    if (dx < 0) anyDecrease = true;
    if (dx > 0) allNonIncreasing = false;
  }
  if (anyDecrease) {
    if (allNonIncreasing) direction = -1;
    else throw new RangeError('auc: x is neither increasing nor decreasing');
  }
  const terms = new Float64Array(x.length - 1);
  for (let i = 0; i < terms.length; i++) terms[i] = ((x[i + 1] - x[i]) * (y[i + 1] + y[i])) / 2;
  return direction * npSum(terms);
}

/**
 * `sklearn.metrics.roc_auc_score(y_true, y_score)` for a binary problem: the trapezoidal area under the ROC
 * curve, so tied scores count one half. Throws when yTrue holds only one class (scikit-learn raises
 * ValueError: "Only one class present in y_true. ROC AUC score is not defined in that case.").
 */
export function rocAucScore(yTrue: ArrayLike<number>, scores: ArrayLike<number>): number {
  const { y } = checkLabelsAndScores(yTrue, scores);
  let positives = 0;
  for (let i = 0; i < y.length; i++) positives += y[i];
  if (positives === 0 || positives === y.length) {
    throw new RangeError(`Only one class present in yTrue (all ${positives === 0 ? 0 : 1}): ROC AUC is not defined in that case`);
  }
  const { fpr, tpr } = rocCurve(yTrue, scores);
  return auc(fpr, tpr);
}
