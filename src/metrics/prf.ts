// scikit-learn's precision_recall_fscore_support arithmetic on sufficient statistics (per-label or per-sample
// counts of true positives, predictions and true labels): one implementation for the binary and multiclass
// classification_report, the multiclass scores and the multilabel ones, so all of them round alike.
import { npMean, npSum, npWeightedAverage } from './numeric.js';

/** What a ratio with a zero denominator becomes: 'warn' = 0 plus a warning (scikit-learn's default). */
export type ZeroDivision = 'warn' | 0 | 1 | number;

/**
 * Which scikit-learn arithmetic to reproduce.
 * - 'current' (default): scikit-learn >= 1.4. F1 = 2·tp / (2·tp + fp + fn), set to `zeroDivision` only
 *   when tp + fp + fn = 0; `zeroDivision = NaN` (>= 1.3) leaves those entries out of the averages.
 * - '1.2': scikit-learn 1.2 (Debian 12's python3-sklearn). F1 = 2·P·R / (P + R) on the P and R that
 *   `zeroDivision` already replaced (so it can differ from 'current' in the last bit, and so in a
 *   rounded digit of the text); a weighted average with zero total support is (z, z, z) when nothing was
 *   predicted either, else (0, z, 0); NaN is not accepted.
 */
export type SklearnCompat = 'current' | '1.2';

/** The averages of precision_recall_fscore_support (`average=`); 'samples' is for multilabel data only. */
export type PrfAverage = 'micro' | 'macro' | 'weighted' | 'samples';

/** Sufficient statistics, one entry per label (or per sample, for the 'samples' average). */
export interface PrfCounts {
  tp: number[];
  predSum: number[];
  trueSum: number[];
}

/** Per-entry precision, recall and F1. */
export interface Prf {
  precision: number[];
  recall: number[];
  f1: number[];
}

/** An averaged precision, recall and F1. */
export interface PrfScores {
  precision: number;
  recall: number;
  f1: number;
}

/** The shared options of the precision/recall/F1 functions. */
export interface PrfOptions {
  /** Value for 0/0 precision, recall or F1 (default 'warn': 0 and a warning). */
  zeroDivision?: ZeroDivision;
  /** Arithmetic of which scikit-learn version (default 'current'). */
  compat?: SklearnCompat;
  /** Receives scikit-learn's UndefinedMetricWarning texts, deduplicated. */
  warnings?: string[];
}

/** Validates zero_division as scikit-learn does ('warn', 0, 1, or NaN from 1.3 on). */
export function checkZeroDivision(zd: ZeroDivision, compat: SklearnCompat = 'current'): ZeroDivision {
  if (zd === 'warn' || zd === 0 || zd === 1) return zd;
  if (typeof zd === 'number' && Number.isNaN(zd)) {
    if (compat === '1.2') throw new RangeError('zeroDivision = NaN needs compat "current" (scikit-learn >= 1.3)');
    return zd;
  }
  throw new RangeError(`zeroDivision = ${String(zd)}: expected 'warn', 0, 1 or NaN`);
}

export function checkCompat(compat: SklearnCompat | undefined): SklearnCompat {
  const c = compat ?? 'current';
  if (c !== 'current' && c !== '1.2') throw new RangeError(`compat = ${String(c)}: expected 'current' or '1.2'`);
  return c;
}

/** Validated (zeroDivision, compat) of PrfOptions, with the defaults filled in. */
export function prfSettings(opts: PrfOptions): { zd: ZeroDivision; compat: SklearnCompat } {
  const compat = checkCompat(opts.compat);
  return { zd: checkZeroDivision(opts.zeroDivision ?? 'warn', compat), compat };
}

/** Adds new warnings to the caller's list, each text once. */
export function pushWarnings(target: string[] | undefined, found: Iterable<string>): void {
  if (!target) return;
  for (const w of found) if (!target.includes(w)) target.push(w);
}

/** scikit-learn's _prf_divide: num/den, and the zero_division value where den = 0. */
function prfDivide(num: number, den: number, zd: ZeroDivision): number {
  if (den !== 0) return num / den;
  return zd === 'warn' ? 0 : zd;
}

/**
 * precision_recall_fscore_support(average=None) on counts. `samplewise` says the entries are samples
 * (the 'samples' average), which only changes the warnings' wording, as in scikit-learn's _warn_prf.
 */
export function prfFromCounts(c: PrfCounts, zd: ZeroDivision, compat: SklearnCompat, warnings: Set<string>,
  samplewise = false): Prf {
  const { tp, predSum, trueSum } = c;
  const k = tp.length;
  const precision = tp.map((v, i) => prfDivide(v, predSum[i], zd));
  const recall = tp.map((v, i) => prfDivide(v, trueSum[i], zd));
  let f1: number[];
  if (compat === '1.2') {
    f1 = precision.map((pr, i) => {
      let denom = pr + recall[i];
      if (denom === 0) denom = 1;
      return (2 * pr * recall[i]) / denom;
    });
  } else {
    f1 = tp.map((v, i) => prfDivide(2 * v, trueSum[i] + predSum[i], zd));
  }
  if (zd === 'warn') {
    const [axis0, axis1] = samplewise ? ['label', 'sample'] : ['sample', 'label'];
    const where = k === 1 ? 'due to' : `in ${axis1}s with`;
    const msg = (what: string, modifier: string) =>
      `${what} ill-defined and being set to 0.0 ${where} no ${modifier} ${axis0}s. Use \`zero_division\` parameter to control this behavior.`;
    if (predSum.some((v) => v === 0)) warnings.add(msg(compat === '1.2' ? 'Precision and F-score are' : 'Precision is', 'predicted'));
    if (trueSum.some((v) => v === 0)) warnings.add(msg(compat === '1.2' ? 'Recall and F-score are' : 'Recall is', 'true'));
    if (compat === 'current' && tp.some((_, i) => trueSum[i] + predSum[i] === 0)) warnings.add(msg('F-score is', 'true nor predicted'));
  }
  return { precision, recall, f1 };
}

/** The micro-average's counts: each statistic summed over the labels. */
export function microCounts(c: PrfCounts): PrfCounts {
  const sum = (a: number[]) => [a.reduce((x, y) => x + y, 0)];
  return { tp: sum(c.tp), predSum: sum(c.predSum), trueSum: sum(c.trueSum) };
}

/**
 * The macro (weights null) or weighted (weights = support) average of each of P, R and F1 already
 * computed per label; `predSum` is needed by scikit-learn 1.2's zero-support rule. Also the 'samples'
 * average, on per-sample P, R, F1 with weights null.
 */
export function averagePrf(v: Prf, weights: number[] | null, predSum: number[], zd: ZeroDivision, compat: SklearnCompat): PrfScores {
  const cols = [v.precision, v.recall, v.f1];
  let out: number[];
  if (compat === '1.2') {
    if (weights === null) {
      out = cols.map((c) => npMean(c));
    } else if (npSum(weights) === 0) {
      const z = zd === 1 ? 1 : 0;
      out = npSum(predSum) === 0 ? [z, z, z] : [0, z, 0];
    } else {
      out = cols.map((c) => npWeightedAverage(c, weights));
    }
  } else {
    out = cols.map((c) => nanAverage(c, weights));
  }
  return { precision: out[0], recall: out[1], f1: out[2] };
}

/**
 * precision_recall_fscore_support(average=) for 'micro', 'macro' and 'weighted' on per-label counts.
 * (The 'samples' average needs per-sample counts: prfFromCounts(samplewise) then averagePrf(null).)
 */
export function averagedPrfFromCounts(c: PrfCounts, average: 'micro' | 'macro' | 'weighted', zd: ZeroDivision,
  compat: SklearnCompat, warnings: Set<string>): PrfScores {
  if (average === 'micro') {
    const m = prfFromCounts(microCounts(c), zd, compat, warnings);
    return { precision: m.precision[0], recall: m.recall[0], f1: m.f1[0] };
  }
  const perLabel = prfFromCounts(c, zd, compat, warnings);
  return averagePrf(perLabel, average === 'weighted' ? c.trueSum : null, c.predSum, zd, compat);
}

/** scikit-learn's _nanaverage (>= 1.3): NaN entries are left out; all-NaN gives NaN. */
function nanAverage(a: number[], weights: number[] | null): number {
  if (a.length === 0 || a.every(Number.isNaN)) return NaN;
  if (weights === null) {
    // np.nanmean: NaN replaced by 0 in the sum, divided by the count of non-NaN entries.
    return npSum(a.map((x) => (Number.isNaN(x) ? 0 : x))) / a.filter((x) => !Number.isNaN(x)).length;
  }
  const keep = a.map((x) => !Number.isNaN(x));
  const av = a.filter((_, i) => keep[i]);
  const wv = weights.filter((_, i) => keep[i]);
  if (npSum(wv) === 0) return npMean(av); // all weights zero: unweighted, as scikit-learn falls back to
  return npWeightedAverage(av, wv);
}

/** Validates an `average` option against the allowed ones. */
export function checkAverage<T extends string | null>(average: T, allowed: readonly T[]): T {
  if (!allowed.includes(average)) {
    throw new RangeError(`average = ${String(average)}: expected one of ${allowed.map((a) => (a === null ? 'null' : `'${a}'`)).join(', ')}`);
  }
  return average;
}
