// Precision-recall curve and average precision, as scikit-learn computes them.
import { npSum } from './numeric.js';
import { binaryClfCurve, checkLabelsAndScores } from './roc.js';

export interface PrCurve {
  /** precision[i] for score >= thresholds[i]; the last entry is 1 and has no threshold. */
  precision: number[];
  /** Decreasing recall; the last entry is 0 and has no threshold. */
  recall: number[];
  /** Increasing distinct scores (one fewer than precision/recall). */
  thresholds: number[];
  /** scikit-learn's warning when yTrue has no positives, else empty. */
  warnings: string[];
}

/**
 * `sklearn.metrics.precision_recall_curve(y_true, probas_pred)` (drop_intermediate=False, the default in
 * every version). With no positive in yTrue, recall is set to 1 everywhere and a warning is added, as
 * scikit-learn does.
 */
export function precisionRecallCurve(yTrue: ArrayLike<number>, scores: ArrayLike<number>): PrCurve {
  const { y, s } = checkLabelsAndScores(yTrue, scores);
  const { fps, tps, thresholds } = binaryClfCurve(y, s);
  const m = tps.length;
  const positives = tps[m - 1];
  const warnings: string[] = [];
  if (positives === 0) warnings.push('No positive class found in y_true, recall is set to one for all thresholds.');
  const precision: number[] = [];
  const recall: number[] = [];
  const thr: number[] = [];
  for (let i = m - 1; i >= 0; i--) {
    const ps = tps[i] + fps[i];
    precision.push(ps !== 0 ? tps[i] / ps : 0);
    recall.push(positives === 0 ? 1 : tps[i] / positives);
    thr.push(thresholds[i]);
  }
  precision.push(1);
  recall.push(0);
  return { precision, recall, thresholds: thr, warnings };
}

/**
 * `sklearn.metrics.average_precision_score(y_true, y_score)`: AP = sum over thresholds of
 * (R[n] - R[n-1]) * P[n], the step-function integral (no interpolation). A -0 from rounding is returned as
 * 0, as scikit-learn >= 1.3 does. With no positive in yTrue the result is 0 (scikit-learn warns, via
 * precision_recall_curve).
 */
export function averagePrecision(yTrue: ArrayLike<number>, scores: ArrayLike<number>): number {
  const { precision, recall } = precisionRecallCurve(yTrue, scores);
  const terms = new Float64Array(recall.length - 1);
  for (let i = 0; i < terms.length; i++) terms[i] = (recall[i + 1] - recall[i]) * precision[i];
  return Math.max(0, -npSum(terms));
}
