// scikit-learn's _average_binary_score: a binary metric (ROC AUC, average precision) applied to each column
// (or row, or the whole) of an indicator matrix, then averaged. One-vs-rest multiclass ROC AUC is this on
// the one-hot matrix of the classes; multilabel ROC AUC and average precision are this on the labels.
import type { LabelMatrix, ScoreMatrix } from './matrix.js';
import { column, row } from './matrix.js';
import { npMean, npWeightedAverage } from './numeric.js';

/** How the per-column scores are combined: null keeps them, one per column. */
export type BinaryScoreAverage = 'micro' | 'macro' | 'weighted' | 'samples';

/**
 * A binary metric on one slice: `index` is the column (or the row, for 'samples'), -1 for the whole
 * flattened matrix ('micro'), so that an error can say which slice it is about.
 */
export type BinaryMetric = (y: Uint8Array, s: Float64Array, index: number) => number;

/** The metric of every column (average=None). */
export function perColumnScores(metric: BinaryMetric, y: LabelMatrix, s: ScoreMatrix): number[] {
  const out: number[] = [];
  for (let j = 0; j < y.cols; j++) out.push(metric(column(y, j), column(s, j), j));
  return out;
}

/**
 * `_average_binary_score(metric, y, s, average)` on validated N×C matrices of the same shape:
 * - 'micro': the metric of the flattened matrices (row-major, as ravel());
 * - 'macro': the plain mean of the per-column scores;
 * - 'weighted': their mean weighted by each column's count of positives; 0 when yTrue has no positive at
 *   all (scikit-learn returns before computing any column); a column of weight 0 counts as 0;
 * - 'samples': the plain mean of the per-row scores.
 */
export function averageBinaryScore(metric: BinaryMetric, y: LabelMatrix, s: ScoreMatrix, average: BinaryScoreAverage): number {
  if (average === 'micro') return metric(y.data, s.data, -1);
  if (average === 'samples') {
    const scores = new Float64Array(y.rows);
    for (let i = 0; i < y.rows; i++) scores[i] = metric(row(y, i), row(s, i), i);
    return npMean(scores);
  }
  if (average === 'weighted') {
    const weights = new Array<number>(y.cols).fill(0);
    for (let k = 0; k < y.data.length; k++) weights[k % y.cols] += y.data[k];
    if (weights.every((w) => w === 0)) return 0; // np.isclose(weights.sum(), 0): integer counts
    const scores = perColumnScores(metric, y, s).map((v, j) => (weights[j] === 0 ? 0 : v));
    return npWeightedAverage(scores, weights);
  }
  if (average === 'macro') return npMean(perColumnScores(metric, y, s));
  throw new RangeError(`average = ${String(average)}: expected 'micro', 'macro', 'weighted' or 'samples'`);
}

/** One-hot N×C matrix of class indices (label_binarize(y, classes=range(C)) for C >= 3). */
export function oneHot(y: Int32Array, numClasses: number): LabelMatrix {
  const data = new Uint8Array(y.length * numClasses);
  for (let i = 0; i < y.length; i++) data[i * numClasses + y[i]] = 1;
  return { data, rows: y.length, cols: numClasses };
}
