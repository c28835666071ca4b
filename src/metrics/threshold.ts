// Choosing the decision threshold on a validation set.
//
// Prediction rule, everywhere in tlearn: a sample is positive iff score >= threshold (the rule behind
// scikit-learn's roc_curve and precision_recall_curve thresholds). Candidate thresholds are the distinct
// validation scores, so the rates reported in `achieved` are exactly what the rule gives on that set.
import { countConfusion, type BinaryConfusion } from './confusion.js';
import { binaryClfCurve, checkLabelsAndScores } from './roc.js';
import { mccFromCounts } from './scalar.js';

export type ThresholdMethod = 'fixed' | 'youden' | 'f1' | 'sensitivity' | 'specificity';

export interface ThresholdOptions {
  /** Default 'fixed'. */
  method?: ThresholdMethod;
  /** fixed: the threshold (default 0.5). sensitivity/specificity: the target rate in [0, 1] (required). */
  value?: number;
}

export interface AchievedRates extends BinaryConfusion {
  sensitivity: number;
  specificity: number;
  precision: number;
  f1: number;
  accuracy: number;
  balancedAccuracy: number;
  /** Youden's J = sensitivity + specificity - 1. */
  youden: number;
  mcc: number;
}

export interface ThresholdChoice {
  threshold: number;
  method: ThresholdMethod;
  /** The target (sensitivity/specificity) or the fixed value, when one applies. */
  value?: number;
  /** Rates on the given (validation) set with positive iff score >= threshold; NaN where undefined. */
  achieved: AchievedRates;
}

/**
 * Picks a threshold on validation scores.
 * - fixed: `value ?? 0.5`.
 * - youden: maximises tpr - fpr over the ROC thresholds (ties: the highest threshold).
 * - f1: maximises F1 = 2tp / (2tp + fp + fn) over the precision-recall thresholds (ties: the highest).
 * - sensitivity: among thresholds with sensitivity >= value, the best specificity (ties: the higher
 *   sensitivity, then the higher threshold).
 * - specificity: among thresholds with specificity >= value, the best sensitivity (ties: the higher
 *   specificity, then the higher threshold).
 * Every method but 'fixed' needs both classes in yTrue and throws otherwise.
 *
 * Never +Infinity: where the best choice is "predict nothing positive" (scikit-learn's first ROC
 * threshold), the smallest double above the highest score is returned instead, which predicts nothing
 * positive on this set and is still a finite, storable number (it can exceed 1 when a score is exactly 1).
 */
export function chooseThreshold(yTrue: ArrayLike<number>, scores: ArrayLike<number>, opts: ThresholdOptions = {}): ThresholdChoice {
  const { y, s } = checkLabelsAndScores(yTrue, scores);
  const method = opts.method ?? 'fixed';
  if (method === 'fixed') {
    const value = opts.value ?? 0.5;
    if (typeof value !== 'number' || !Number.isFinite(value)) throw new RangeError(`value = ${String(value)}: a fixed threshold must be a finite number`);
    return { threshold: value, method, value, achieved: achievedAt(y, s, value) };
  }
  if (!['youden', 'f1', 'sensitivity', 'specificity'].includes(method)) {
    throw new RangeError(`method = ${String(method)}: expected 'fixed', 'youden', 'f1', 'sensitivity' or 'specificity'`);
  }
  const { fps, tps, thresholds } = binaryClfCurve(y, s);
  const m = fps.length;
  const P = tps[m - 1];
  const N = fps[m - 1];
  if (P === 0 || N === 0) {
    throw new RangeError(`threshold method '${method}' needs both classes in yTrue, but it has only ${P === 0 ? 'negatives' : 'positives'}`);
  }
  // Candidate k = -1 is "nothing positive" (tp = fp = 0); k >= 0 is threshold thresholds[k] (decreasing).
  const tpAt = (k: number) => (k < 0 ? 0 : tps[k]);
  const fpAt = (k: number) => (k < 0 ? 0 : fps[k]);
  let best = -1;
  let value: number | undefined;
  if (method === 'youden') {
    // Compare tp·N - fp·P (= P·N·J) in integers: no rounding can break or fake a tie.
    let bestScore = -Infinity;
    for (let k = -1; k < m; k++) {
      const j = tpAt(k) * N - fpAt(k) * P;
      if (j > bestScore) { bestScore = j; best = k; }
    }
  } else if (method === 'f1') {
    // Only real thresholds (k >= 0): "nothing positive" has F1 = 0, never better than predicting all.
    let bestF = -Infinity;
    for (let k = 0; k < m; k++) {
      const f = (2 * tps[k]) / (2 * tps[k] + fps[k] + (P - tps[k]));
      if (f > bestF) { bestF = f; best = k; }
    }
  } else {
    value = opts.value;
    if (typeof value !== 'number' || !(value >= 0 && value <= 1)) {
      throw new RangeError(`value = ${String(value)}: method '${method}' needs a target rate in [0, 1]`);
    }
    const target = value;
    // Candidates in order of decreasing threshold: tp and fp only grow, so sensitivity rises and
    // specificity falls along the way.
    let found = false;
    for (let k = -1; k < m; k++) {
      const sens = tpAt(k) / P;
      const spec = (N - fpAt(k)) / N;
      if (method === 'sensitivity') {
        if (sens < target) continue;
        // First qualifying point has the lowest fp; keep moving while fp stays the same (tp may rise).
        if (!found || fpAt(k) === fpAt(best)) { best = k; found = true; } else break;
      } else {
        if (spec < target) break; // specificity only falls from here on
        // The last qualifying point has the highest tp; prefer the first point that reaches that tp.
        if (!found || tpAt(k) > tpAt(best)) { best = k; found = true; }
      }
    }
    if (!found) throw new RangeError(`no threshold reaches ${method} >= ${target} on this set`);
  }
  const threshold = best < 0 ? nextUp(thresholds[0]) : thresholds[best];
  return { threshold, method, ...(value !== undefined ? { value } : {}), achieved: achievedAt(y, s, threshold) };
}

/** The rates at a threshold under the rule positive iff score >= threshold. */
function achievedAt(y: Uint8Array, s: Float64Array, threshold: number): AchievedRates {
  const pred = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) pred[i] = s[i] >= threshold ? 1 : 0;
  const c = countConfusion(y, pred);
  const sensitivity = c.tp + c.fn > 0 ? c.tp / (c.tp + c.fn) : NaN;
  const specificity = c.tn + c.fp > 0 ? c.tn / (c.tn + c.fp) : NaN;
  const precision = c.tp + c.fp > 0 ? c.tp / (c.tp + c.fp) : NaN;
  const f1 = 2 * c.tp + c.fp + c.fn > 0 ? (2 * c.tp) / (2 * c.tp + c.fp + c.fn) : NaN;
  const n = y.length;
  const present = [sensitivity, specificity].filter((v) => !Number.isNaN(v));
  return {
    ...c,
    sensitivity,
    specificity,
    precision,
    f1,
    accuracy: (c.tp + c.tn) / n,
    balancedAccuracy: present.reduce((a, b) => a + b, 0) / present.length,
    youden: sensitivity + specificity - 1,
    mcc: mccFromCounts(c),
  };
}

/** The smallest double greater than x (finite x). */
export function nextUp(x: number): number {
  if (Number.isNaN(x) || x === Infinity) return x;
  if (x === 0) return Number.MIN_VALUE;
  const buf = new DataView(new ArrayBuffer(8));
  buf.setFloat64(0, x);
  const bits = buf.getBigUint64(0);
  buf.setBigUint64(0, x > 0 ? bits + 1n : bits - 1n);
  return buf.getFloat64(0);
}
