// Paired comparison of two models on the same images (a question every model update raises: is B really
// better than A, or is the difference within what a test set of this size moves?):
// - DeLong et al. (1988): the difference of the two ROC AUCs, its standard error from the structural components of
//   both AUCs (their covariance included, since the images are the same), a 95 % interval and a two-sided z test;
//   the components by midranks as Sun & Xu (2014), O(n log n).
// - McNemar's exact test of the accuracies at each model's threshold: only the images one model gets right and the
//   other wrong count; under the null hypothesis each is either model's with probability 1/2.
// - For a macro AUC (multi-class one-vs-rest, multi-label per label), a mean of binary AUCs over other splits of the
//   same images, which DeLong's components do not cover: pROC's paired bootstrap test (roc.test(method =
//   "bootstrap"), Robin et al. 2011): both models' macro AUCs on the same resamples, D = difference / sd of the
//   resampled differences, a two-sided normal p, and the differences' percentile interval.
import { bootstrapSettings, drawCounts, mulberry32, percentileInterval, ResampledAuc, type BootstrapOptions } from './bootstrap.js';
import { Z95 } from './proportion.js';

/** Midranks (1-based, ties sharing their mean rank) of xs. */
function midranks(xs: ArrayLike<number>): Float64Array {
  const order = Array.from({ length: xs.length }, (_, i) => i).sort((a, b) => xs[a]! - xs[b]!);
  const ranks = new Float64Array(xs.length);
  for (let i = 0; i < order.length;) {
    let j = i;
    while (j + 1 < order.length && xs[order[j + 1]!] === xs[order[i]!]) j++;
    const mid = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) ranks[order[k]!] = mid;
    i = j + 1;
  }
  return ranks;
}

/** AUC and DeLong's structural components of one model: V10 per positive, V01 per negative. */
function components(pos: Float64Array, neg: Float64Array): { auc: number; v10: Float64Array; v01: Float64Array } {
  const m = pos.length;
  const n = neg.length;
  const all = new Float64Array(m + n);
  all.set(pos);
  all.set(neg, m);
  const tz = midranks(all);
  const tx = midranks(pos);
  const ty = midranks(neg);
  const v10 = new Float64Array(m);
  const v01 = new Float64Array(n);
  let sum = 0;
  for (let i = 0; i < m; i++) {
    v10[i] = (tz[i]! - tx[i]!) / n;
    sum += v10[i]!;
  }
  for (let j = 0; j < n; j++) v01[j] = 1 - (tz[m + j]! - ty[j]!) / m;
  return { auc: sum / m, v10, v01 };
}

/** Sample covariance (n - 1) of two equally long series. */
function cov(a: Float64Array, b: Float64Array): number {
  const n = a.length;
  let ma = 0;
  let mb = 0;
  for (let i = 0; i < n; i++) {
    ma += a[i]!;
    mb += b[i]!;
  }
  ma /= n;
  mb /= n;
  let s = 0;
  for (let i = 0; i < n; i++) s += (a[i]! - ma) * (b[i]! - mb);
  return s / (n - 1);
}

/**
 * erfc(x) for x >= 0: the Maclaurin series of erf below 2 (its cancellation costs under 1e-13 relative there), the
 * continued fraction erfc(x) = exp(-x²) / (√π (x + (1/2) / (x + 1 / (x + (3/2) / (x + ...))))) from 2 on.
 */
function erfc(x: number): number {
  if (x < 2) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 100 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return 1 - (2 / Math.sqrt(Math.PI)) * sum;
  }
  let f = x;
  for (let k = 120; k >= 1; k--) f = x + k / 2 / f;
  return Math.exp(-x * x) / (Math.sqrt(Math.PI) * f);
}

/** The two-sided p-value of a standard normal statistic z: P(|Z| >= |z|). */
export const twoSidedNormalP = (z: number): number => erfc(Math.abs(z) / Math.SQRT2);

export interface DelongComparison {
  aucA: number;
  aucB: number;
  /** aucB - aucA. */
  difference: number;
  /** DeLong's standard error of the difference; 0 when both models order every pair alike (then z and p are null). */
  se: number;
  ci95: [number, number];
  z: number | null;
  p: number | null;
}

/** DeLong's test of AUC(B) - AUC(A) on the same images: labels y (0/1), scores sA and sB. */
export function delongPaired(y: ArrayLike<number>, sA: ArrayLike<number>, sB: ArrayLike<number>): DelongComparison {
  if (sA.length !== y.length || sB.length !== y.length) throw new RangeError(`delongPaired: ${y.length} labels, ${sA.length} and ${sB.length} scores`);
  const split = (s: ArrayLike<number>) => {
    const pos: number[] = [];
    const neg: number[] = [];
    for (let i = 0; i < y.length; i++) {
      if (!Number.isFinite(s[i])) throw new RangeError(`delongPaired: score ${i} is ${s[i]}`);
      if (y[i] === 1) pos.push(s[i]!);
      else if (y[i] === 0) neg.push(s[i]!);
      else throw new RangeError(`delongPaired: label ${i} is ${y[i]}, expected 0 or 1`);
    }
    return { pos: Float64Array.from(pos), neg: Float64Array.from(neg) };
  };
  const a = split(sA);
  const b = split(sB);
  const m = a.pos.length;
  const n = a.neg.length;
  if (m < 2 || n < 2) throw new RangeError(`delongPaired: needs at least 2 positives and 2 negatives, got ${m} and ${n}`);
  const ca = components(a.pos, a.neg);
  const cb = components(b.pos, b.neg);
  const variance = (cov(ca.v10, ca.v10) + cov(cb.v10, cb.v10) - 2 * cov(ca.v10, cb.v10)) / m
    + (cov(ca.v01, ca.v01) + cov(cb.v01, cb.v01) - 2 * cov(ca.v01, cb.v01)) / n;
  const difference = cb.auc - ca.auc;
  const se = Math.sqrt(Math.max(0, variance));
  const z = se > 0 ? difference / se : null;
  return { aucA: ca.auc, aucB: cb.auc, difference, se, ci95: [difference - Z95 * se, difference + Z95 * se], z, p: z === null ? null : twoSidedNormalP(z) };
}

/**
 * McNemar's exact two-sided p-value for discordant counts: `aOnly` images only A gets right, `bOnly` only B:
 * 2 P(X <= min) for X ~ Binomial(aOnly + bOnly, 1/2), at most 1 (scipy's binomtest(min, total).pvalue).
 */
export function mcnemarExactP(aOnly: number, bOnly: number): number {
  const total = aOnly + bOnly;
  const k = Math.min(aOnly, bOnly);
  if (total === 0) return 1;
  // Binomial(total, 1/2) probabilities in log space (a test set of thousands of discordant images stays finite);
  // log C(total, i) summed with Kahan's compensation, which keeps thousands of terms to ~1e-14 relative.
  let logC = 0;
  let carry = 0;
  let cdf = 0;
  for (let i = 0; i <= k; i++) {
    if (i > 0) {
      const step = Math.log(total - i + 1) - Math.log(i) - carry;
      const next = logC + step;
      carry = next - logC - step;
      logC = next;
    }
    cdf += Math.exp(logC - total * Math.LN2);
  }
  return Math.min(1, 2 * cdf);
}

/** One binary problem of a macro AUC: its 0/1 truth per image, and each model's score for it. */
export interface PairedColumn {
  y: ArrayLike<number>;
  a: ArrayLike<number>;
  b: ArrayLike<number>;
}

export interface MacroAucComparison extends DelongComparison {
  nBoot: number;
  /** Resamples where every column has both classes (the others have no macro AUC and are skipped). */
  nUsed: number;
  seed: number;
}

/**
 * pROC's paired bootstrap test of macroAUC(B) - macroAUC(A), each the mean of its columns' binary AUCs: `nBoot`
 * resamples of the images (mulberry32(seed), as aucBootstrapCI; default 2000, pROC's boot.n), skipping those where
 * a column lacks a class; se is the sample standard deviation of the resampled differences, z = difference / se,
 * p two-sided normal, ci95 the differences' 2.5th and 97.5th percentiles. Null when a column has one class on the
 * images themselves (no macro AUC).
 */
export function pairedMacroAucBootstrap(columns: readonly PairedColumn[], opts: BootstrapOptions = {}): MacroAucComparison | null {
  if (columns.length === 0) throw new RangeError('pairedMacroAucBootstrap: no columns');
  const n = columns[0]!.y.length;
  const pairs = columns.map((c, j) => {
    if (c.y.length !== n || c.a.length !== n || c.b.length !== n) throw new RangeError(`pairedMacroAucBootstrap: column ${j} has another length than ${n}`);
    return [new ResampledAuc(c.y, c.a), new ResampledAuc(c.y, c.b)] as const;
  });
  const { nBoot, seed, level } = bootstrapSettings(opts, 2000);
  const macro = (counts: ArrayLike<number>): [number, number] => {
    let sa = 0, sb = 0;
    for (const [a, b] of pairs) {
      sa += a.of(counts);
      sb += b.of(counts);
    }
    return [sa / pairs.length, sb / pairs.length];
  };
  const [aucA, aucB] = macro(new Uint32Array(n).fill(1));
  if (Number.isNaN(aucA)) return null;
  const rng = mulberry32(seed);
  const counts = new Uint32Array(n);
  const diffs: number[] = [];
  for (let r = 0; r < nBoot; r++) {
    const [a, b] = macro(drawCounts(counts, rng));
    if (!Number.isNaN(a)) diffs.push(b - a);
  }
  const difference = aucB - aucA;
  const mean = diffs.reduce((x, d) => x + d, 0) / diffs.length;
  const se = diffs.length > 1 ? Math.sqrt(diffs.reduce((x, d) => x + (d - mean) ** 2, 0) / (diffs.length - 1)) : NaN;
  const z = se > 0 ? difference / se : null;
  return {
    aucA, aucB, difference, se, ci95: percentileInterval(diffs, level), z, p: z === null ? null : twoSidedNormalP(z),
    nBoot, nUsed: diffs.length, seed,
  };
}
