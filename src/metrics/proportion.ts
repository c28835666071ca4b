// The Wilson score interval of a proportion k / n (Wilson 1927; Newcombe 1998), the interval STARD-style reports give
// for sensitivity, specificity and predictive values: unlike the normal approximation it stays within [0, 1] and
// keeps its coverage near 0 and 1. The formulas of scipy.stats.binomtest(k, n).proportion_ci(method='wilson').
import type { PrfCounts } from './prf.js';

/** The standard normal's 0.975 quantile (scipy.special.ndtri(0.975)): a two-sided 95 % interval. */
export const Z95 = 1.959963984540054;

/** The two-sided 95 % Wilson interval of k successes in n trials; null when n is 0 (no proportion to bound). */
export function wilsonCI95(k: number, n: number): [number, number] | null {
  if (!Number.isInteger(k) || !Number.isInteger(n) || k < 0 || n < 0 || k > n) throw new RangeError(`wilsonCI95: expected integers 0 <= k <= n, got k = ${k}, n = ${n}`);
  if (n === 0) return null;
  const p = k / n;
  const z2 = Z95 * Z95;
  const denom = 2 * (n + z2);
  const center = (2 * n * p + z2) / denom;
  const delta = (Z95 / denom) * Math.sqrt(4 * n * p * (1 - p) + z2);
  // At 0 and n the bound is the exact one, not center -/+ delta with its rounding.
  return [k === 0 ? 0 : center - delta, k === n ? 1 : center + delta];
}

/** Per class (or label): the 95 % Wilson intervals of its recall (tp / support) and precision (tp / predicted). */
export interface ClassIntervals {
  recall: [number, number] | null;
  precision: [number, number] | null;
}

/** Each entry's intervals, from the counts scikit-learn's precision/recall take (multiclassCounts, multilabelLabelCounts). */
export function classIntervals(c: PrfCounts): ClassIntervals[] {
  return c.tp.map((tp, j) => ({ recall: wilsonCI95(tp, c.trueSum[j]!), precision: wilsonCI95(tp, c.predSum[j]!) }));
}
