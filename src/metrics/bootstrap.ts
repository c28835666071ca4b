// Seeded bootstrap confidence interval for the ROC AUC (percentile method).
import { percentileSorted } from './numeric.js';
import { checkLabelsAndScores, descendingOrder } from './roc.js';

/**
 * mulberry32: a small, fast 32-bit PRNG; the same seed gives the same stream on every platform, so a CI
 * written into metrics.json can be reproduced. Returns floats in [0, 1).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One bootstrap resample: n indices drawn uniformly with replacement from [0, n). */
export function resampleIndices(n: number, rng: () => number): Uint32Array {
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = Math.floor(rng() * n);
  return out;
}

export interface BootstrapOptions {
  /** Number of resamples (default 1000). */
  nBoot?: number;
  /** PRNG seed (default 0). */
  seed?: number;
  /** Confidence level (default 0.95: the 2.5th and 97.5th percentiles). */
  level?: number;
}

export interface BootstrapCI {
  lo: number;
  hi: number;
  level: number;
  nBoot: number;
  /** Resamples with both classes, whose AUCs the percentiles are taken over. */
  nUsed: number;
  /** Resamples with one class only, where AUC is undefined: skipped. */
  nSkipped: number;
  seed: number;
}

/**
 * One binary ROC AUC over resamples of its samples: the scores are sorted once, and a resample, given as a count
 * per sample, costs one linear pass over the groups of tied scores (the trapezoid rule, ties counting one half:
 * the same area as roc_auc_score).
 */
export class ResampledAuc {
  readonly #y: Uint8Array;
  readonly #order: Uint32Array;
  readonly #groupEnd: number[] = [];

  constructor(yTrue: ArrayLike<number>, scores: ArrayLike<number>) {
    const { y, s } = checkLabelsAndScores(yTrue, scores);
    this.#y = y;
    this.#order = descendingOrder(s);
    const n = y.length, order = this.#order;
    for (let i = 0; i < n; i++) if (i === n - 1 || s[order[i]!] !== s[order[i + 1]!]) this.#groupEnd.push(i + 1);
  }

  get length(): number { return this.#y.length; }

  /** The AUC of the resample holding sample i counts[i] times; NaN when it lacks a class. */
  of(counts: ArrayLike<number>): number {
    const y = this.#y, order = this.#order;
    let tp = 0, fp = 0, area2 = 0, start = 0;
    for (const end of this.#groupEnd) {
      let dtp = 0, dfp = 0;
      for (let i = start; i < end; i++) {
        const j = order[i]!;
        if (y[j] === 1) dtp += counts[j]!; else dfp += counts[j]!;
      }
      area2 += dfp * (2 * tp + dtp); // twice the trapezoid, in integers
      tp += dtp;
      fp += dfp;
      start = end;
    }
    return tp === 0 || fp === 0 ? NaN : area2 / (2 * tp * fp);
  }
}

/** Checks the options of a bootstrap and returns them with their defaults. */
export function bootstrapSettings(opts: BootstrapOptions, defaultBoot = 1000): { nBoot: number; seed: number; level: number } {
  const nBoot = opts.nBoot ?? defaultBoot;
  const seed = opts.seed ?? 0;
  const level = opts.level ?? 0.95;
  if (!Number.isInteger(nBoot) || nBoot < 1) throw new RangeError(`nBoot = ${nBoot}: expected a positive integer`);
  if (!Number.isInteger(seed)) throw new RangeError(`seed = ${seed}: expected an integer`);
  if (!(level > 0 && level < 1)) throw new RangeError(`level = ${level}: expected a number in (0, 1)`);
  return { nBoot, seed, level };
}

/** Fills `counts` with the draws of resampleIndices(counts.length, rng), counted without materialising the indices. */
export function drawCounts(counts: Uint32Array, rng: () => number): Uint32Array {
  const n = counts.length;
  counts.fill(0);
  for (let i = 0; i < n; i++) counts[Math.floor(rng() * n)]!++;
  return counts;
}

/** NumPy's linear percentiles of `values` at (1 - level)/2 and (1 + level)/2 (sorts `values`). */
export function percentileInterval(values: number[], level: number): [number, number] {
  values.sort((a, b) => a - b);
  // (100 -/+ 100·level)/2 gives exactly 2.5 and 97.5 for level 0.95, as np.percentile(a, [2.5, 97.5]).
  return [percentileSorted(values, (100 - level * 100) / 2), percentileSorted(values, (100 + level * 100) / 2)];
}

/**
 * Percentile bootstrap CI of the ROC AUC: `nBoot` resamples of the n samples with replacement (drawn with
 * mulberry32(seed), resample b being the b-th call of resampleIndices), AUC of each, resamples with only
 * one class skipped, then NumPy's linear percentiles at (1 - level)/2 and (1 + level)/2. lo and hi are NaN
 * when no resample has both classes (e.g. yTrue itself has one class).
 */
export function aucBootstrapCI(yTrue: ArrayLike<number>, scores: ArrayLike<number>, opts: BootstrapOptions = {}): BootstrapCI {
  const auc = new ResampledAuc(yTrue, scores);
  const { nBoot, seed, level } = bootstrapSettings(opts);
  const rng = mulberry32(seed);
  const counts = new Uint32Array(auc.length);
  const aucs: number[] = [];
  for (let b = 0; b < nBoot; b++) {
    const value = auc.of(drawCounts(counts, rng));
    if (!Number.isNaN(value)) aucs.push(value);
  }
  const [lo, hi] = percentileInterval(aucs, level);
  return { lo, hi, level, nBoot, nUsed: aucs.length, nSkipped: nBoot - aucs.length, seed };
}
