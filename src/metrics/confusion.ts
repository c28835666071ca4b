// Confusion matrices in scikit-learn's layout: rows are true labels, columns predicted labels, labels in
// ascending order; for a binary problem C.ravel() = [tn, fp, fn, tp].
import type { PrfCounts } from './prf.js';
import { checkBinaryLabels, checkFinite, checkSameLength } from './validate.js';

export interface BinaryConfusion {
  tn: number;
  fp: number;
  fn: number;
  tp: number;
}

/** Counts of a binary problem (labels 0/1). Both classes always have a row and a column. */
export function binaryConfusion(yTrue: ArrayLike<number>, yPred: ArrayLike<number>): BinaryConfusion {
  const t = checkBinaryLabels('yTrue', yTrue);
  const p = checkBinaryLabels('yPred', yPred);
  checkSameLength('yTrue', t, 'yPred', p);
  return countConfusion(t, p);
}

/** Internal: counts on already-validated 0/1 arrays. */
export function countConfusion(t: Uint8Array, p: Uint8Array): BinaryConfusion {
  let tn = 0, fp = 0, fn = 0, tp = 0;
  for (let i = 0; i < t.length; i++) {
    if (t[i] === 1) { if (p[i] === 1) tp++; else fn++; } else if (p[i] === 1) fp++; else tn++;
  }
  return { tn, fp, fn, tp };
}

/**
 * `sklearn.metrics.confusion_matrix(y_true, y_pred, labels=labels)`. Without `labels`, the labels are the
 * sorted union of the values present in either array (so a problem where only class 1 occurs gives a 1x1
 * matrix, as in scikit-learn). Labels may be any finite numbers. `labels` must name at least one label
 * present in yTrue, as scikit-learn requires.
 */
export function confusionMatrix(
  yTrue: ArrayLike<number>,
  yPred: ArrayLike<number>,
  opts: { labels?: ArrayLike<number> } = {},
): { labels: number[]; matrix: number[][] } {
  const t = checkFinite('yTrue', yTrue);
  const p = checkFinite('yPred', yPred);
  checkSameLength('yTrue', t, 'yPred', p);
  if (t.length === 0) throw new RangeError('yTrue: empty array (at least one sample is required)');
  let labels: number[];
  if (opts.labels === undefined) {
    labels = uniqueLabels(t, p);
  } else {
    labels = Array.from(checkFinite('labels', opts.labels));
    if (labels.length === 0) throw new RangeError('labels: at least one label is required');
    if (new Set(labels).size !== labels.length) throw new RangeError('labels: contains duplicates');
    const present = new Set(t);
    if (!labels.some((l) => present.has(l))) throw new RangeError('labels: at least one label must occur in yTrue');
  }
  const index = new Map<number, number>();
  labels.forEach((l, i) => index.set(l === 0 ? 0 : l, i)); // -0 and 0 are the same label
  const k = labels.length;
  const matrix = Array.from({ length: k }, () => new Array<number>(k).fill(0));
  for (let i = 0; i < t.length; i++) {
    const a = index.get(t[i]);
    const b = index.get(p[i]);
    if (a !== undefined && b !== undefined) matrix[a][b]++;
  }
  return { labels, matrix };
}

/**
 * Per-label counts of 1-D labels (scikit-learn's multilabel_confusion_matrix: each label against the rest),
 * in the order of `labels`; values outside `labels` are not counted.
 */
export function labelCounts(t: ArrayLike<number>, p: ArrayLike<number>, labels: number[]): PrfCounts {
  const k = labels.length;
  const tp = new Array<number>(k).fill(0);
  const predSum = new Array<number>(k).fill(0);
  const trueSum = new Array<number>(k).fill(0);
  const index = new Map<number, number>();
  labels.forEach((l, i) => index.set(l === 0 ? 0 : l, i));
  if (index.size !== k) throw new RangeError('labels: contains duplicates');
  for (let i = 0; i < t.length; i++) {
    const a = index.get(t[i]);
    const b = index.get(p[i]);
    if (a !== undefined) trueSum[a]++;
    if (b !== undefined) predSum[b]++;
    if (a !== undefined && a === b) tp[a]++;
  }
  return { tp, predSum, trueSum };
}

/** `sklearn.utils.multiclass.unique_labels(y_true, y_pred)` for numeric labels: sorted distinct values. */
export function uniqueLabels(...arrays: ArrayLike<number>[]): number[] {
  const s = new Set<number>();
  for (const a of arrays) for (let i = 0; i < a.length; i++) s.add(a[i] === 0 ? 0 : a[i]);
  return [...s].sort((a, b) => a - b);
}

/** Hard predictions under the project's rule: positive (1) iff score >= threshold. */
export function predictLabels(scores: ArrayLike<number>, threshold: number): Uint8Array {
  if (typeof threshold !== 'number' || Number.isNaN(threshold)) throw new RangeError(`threshold = ${String(threshold)}: expected a number`);
  const s = checkFinite('scores', scores);
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s[i] >= threshold ? 1 : 0;
  return out;
}
