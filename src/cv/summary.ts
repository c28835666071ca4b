// cv.json's arithmetic: every metric per fold, its mean and sample standard deviation across the folds, and a
// 95 % confidence interval for the AUC across folds: Student's t interval mean ± t(0.975, K-1) · sd / sqrt(K),
// which treats the K fold AUCs as independent draws (they are not quite: the folds' training sets overlap, so
// the interval is somewhat narrow; Bengio & Grandvalet 2004). The pooled out-of-fold AUC with its bootstrap
// interval (the run report's method) is given beside it for binary tasks.

/** t(0.975, df) for df = 1..30 (beyond: the normal 1.96). */
const T975 = [12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131,
  2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074, 2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042];

export const tQuantile975 = (df: number): number => (df >= 1 && df <= 30 ? T975[df - 1]! : 1.96);

export interface MeanSd { mean: number; sd: number | null; n: number }

/** Mean and sample standard deviation (ddof 1; null for one value) of the finite values. */
export function meanSd(values: readonly (number | null | undefined)[]): MeanSd | null {
  const xs = values.filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
  if (xs.length === 0) return null;
  const mean = xs.reduce((a, b) => a + b, 0) / xs.length;
  const sd = xs.length < 2 ? null : Math.sqrt(xs.reduce((a, b) => a + (b - mean) ** 2, 0) / (xs.length - 1));
  return { mean, sd, n: xs.length };
}

/**
 * The t interval of the mean of `values` at 95 %, clipped to `bounds` (an AUC lies in [0, 1]), or null with fewer
 * than two finite values.
 */
export function tInterval95(values: readonly (number | null | undefined)[], bounds: [number, number] = [-Infinity, Infinity]): [number, number] | null {
  const s = meanSd(values);
  if (!s || s.sd === null) return null;
  const half = tQuantile975(s.n - 1) * s.sd / Math.sqrt(s.n);
  return [Math.max(bounds[0], s.mean - half), Math.min(bounds[1], s.mean + half)];
}

/** Per metric name, mean and sd over the folds' records (a metric missing or null in a fold is left out for it). */
export function summarise(folds: readonly Record<string, number | null>[]): Record<string, MeanSd> {
  const names = [...new Set(folds.flatMap((f) => Object.keys(f)))];
  const out: Record<string, MeanSd> = {};
  for (const name of names) {
    const s = meanSd(folds.map((f) => f[name]));
    if (s) out[name] = s;
  }
  return out;
}

/** The scalar (finite number or null) entries of an object, e.g. a metrics.json, with a prefix. */
export function scalars(o: Record<string, unknown> | null | undefined, prefix = ''): Record<string, number | null> {
  const out: Record<string, number | null> = {};
  for (const [k, v] of Object.entries(o ?? {})) {
    if (typeof v === 'number') out[prefix + k] = Number.isFinite(v) ? v : null;
    else if (v === null && !['threshold'].includes(k)) out[prefix + k] = null;
  }
  return out;
}
