// Reliability (calibration) curve and expected calibration error.
import { linspace01, percentileSorted } from './numeric.js';
import { checkBinaryLabels, checkProbabilities, checkSameLength } from './validate.js';

export interface CalibrationCurve {
  /** Fraction of positives in each non-empty bin (scikit-learn's prob_true). */
  probTrue: number[];
  /** Mean predicted probability in each non-empty bin (scikit-learn's prob_pred). */
  probPred: number[];
  /** Number of samples in each non-empty bin (not returned by scikit-learn; used for ECE and plots). */
  counts: number[];
  /** The nBins + 1 bin edges (linspace(0, 1) or the data's percentiles). */
  edges: number[];
}

export interface CalibrationOptions {
  /** Number of bins (default 5, as scikit-learn). */
  nBins?: number;
  /** 'uniform' (equal-width bins on [0, 1], default) or 'quantile' (edges at the percentiles of prob). */
  strategy?: 'uniform' | 'quantile';
}

/**
 * `sklearn.calibration.calibration_curve(y_true, y_prob, n_bins=, strategy=)`, bit-exact. A probability
 * equal to an inner edge goes to the lower bin (np.searchsorted side='left'); empty bins are left out.
 */
export function calibrationCurve(yTrue: ArrayLike<number>, prob: ArrayLike<number>, opts: CalibrationOptions = {}): CalibrationCurve {
  const y = checkBinaryLabels('yTrue', yTrue);
  const p = checkProbabilities('prob', prob);
  checkSameLength('yTrue', y, 'prob', p);
  const nBins = opts.nBins ?? 5;
  const strategy = opts.strategy ?? 'uniform';
  if (!Number.isInteger(nBins) || nBins < 1) throw new RangeError(`nBins = ${nBins}: expected a positive integer`);
  let edges: Float64Array;
  if (strategy === 'uniform') {
    edges = linspace01(nBins + 1);
  } else if (strategy === 'quantile') {
    const sorted = Float64Array.from(p).sort();
    const q = linspace01(nBins + 1);
    edges = q.map((v) => percentileSorted(sorted, v * 100));
  } else {
    throw new RangeError(`strategy = ${String(strategy)}: expected 'uniform' or 'quantile'`);
  }
  const inner = edges.subarray(1, edges.length - 1);
  const sums = new Float64Array(nBins + 1);
  const trues = new Float64Array(nBins + 1);
  const totals = new Float64Array(nBins + 1);
  for (let i = 0; i < p.length; i++) {
    const b = searchsortedLeft(inner, p[i]);
    sums[b] += p[i];
    trues[b] += y[i];
    totals[b] += 1;
  }
  const out: CalibrationCurve = { probTrue: [], probPred: [], counts: [], edges: Array.from(edges) };
  for (let b = 0; b < totals.length; b++) {
    if (totals[b] === 0) continue;
    out.probTrue.push(trues[b] / totals[b]);
    out.probPred.push(sums[b] / totals[b]);
    out.counts.push(totals[b]);
  }
  return out;
}

/** np.searchsorted(a, v, side='left'): the number of entries of sorted `a` that are < v. */
function searchsortedLeft(a: Float64Array, v: number): number {
  let lo = 0, hi = a.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (a[mid] < v) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/** The number of equal-width bins of the ECE that metrics.json reports (`ece_bins`). */
export const ECE_BINS = 10;

/**
 * Expected calibration error with `nBins` equal-width bins on [0, 1] (default ECE_BINS = 10):
 *   ECE = sum over non-empty bins b of (n_b / n) * |mean(y in b) - mean(prob in b)|,
 * the bins being exactly calibrationCurve's 'uniform' bins (a probability on an inner edge belongs to the
 * lower bin; bin 0 includes 0). 0 is perfect calibration; the maximum is 1.
 */
export function expectedCalibrationError(yTrue: ArrayLike<number>, prob: ArrayLike<number>, opts: { nBins?: number } = {}): number {
  return eceFromCurve(calibrationCurve(yTrue, prob, { nBins: opts.nBins ?? ECE_BINS, strategy: 'uniform' }));
}

/**
 * The ECE of a curve calibrationCurve already computed (its bins weighted by their counts), so a caller that
 * draws the reliability diagram and reports the ECE bins the data once and both agree. The curve should be a
 * 'uniform' one: with quantile bins this is a different (equal-mass) calibration error.
 */
export function eceFromCurve(c: Pick<CalibrationCurve, 'probTrue' | 'probPred' | 'counts'>): number {
  if (c.probTrue.length !== c.counts.length || c.probPred.length !== c.counts.length) {
    throw new RangeError(`calibration curve: ${c.counts.length} counts but ${c.probTrue.length} probTrue and ${c.probPred.length} probPred values`);
  }
  const n = c.counts.reduce((a, b) => a + b, 0);
  if (n === 0) return NaN;
  let ece = 0;
  for (let b = 0; b < c.counts.length; b++) ece += (c.counts[b] / n) * Math.abs(c.probTrue[b] - c.probPred[b]);
  return ece;
}
