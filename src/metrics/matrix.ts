// Input checks of the multiclass and multilabel metrics: class indices, N×C label and score matrices.
// A bad input fails naming the argument and the first offending entry (yTrue[3][1] = 2), as validate.ts
// does for the binary metrics. The checked matrices are flat row-major copies (sample i, column j at
// i * cols + j), which is also NumPy's ravel() order, used by the 'micro' averages.
import { npSum } from './numeric.js';

/** A checked N×C matrix, row-major. */
export interface Matrix<T extends Uint8Array | Float64Array> {
  data: T;
  rows: number;
  cols: number;
}

export type LabelMatrix = Matrix<Uint8Array>;
export type ScoreMatrix = Matrix<Float64Array>;

/**
 * Throws unless `y` is a non-empty array of class indices: integers from 0 to numClasses - 1 (any
 * non-negative integer when numClasses is not given). Returns an Int32Array copy.
 */
export function checkClassIndices(name: string, y: ArrayLike<number>, numClasses?: number): Int32Array {
  if (y == null || typeof y.length !== 'number') throw new TypeError(`${name}: expected an array of class indices`);
  if (y.length === 0) throw new RangeError(`${name}: empty array (at least one sample is required)`);
  const range = numClasses === undefined ? 'a non-negative integer' : `an integer from 0 to ${numClasses - 1}`;
  const out = new Int32Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 2 ** 31 - 1 || (numClasses !== undefined && v >= numClasses)) {
      throw new RangeError(`${name}[${i}] = ${String(v)}: expected a class index (${range})`);
    }
    out[i] = v;
  }
  return out;
}

/** The rows of an N×C matrix, checked for shape; `check(v)` says what is wrong with one value, or null. */
function checkMatrix<T extends Uint8Array | Float64Array>(name: string, m: ArrayLike<ArrayLike<number>>, what: string,
  make: (n: number) => T, check: (v: unknown) => string | null): Matrix<T> {
  if (m == null || typeof m.length !== 'number') throw new TypeError(`${name}: expected an array of rows (N samples × C ${what})`);
  if (m.length === 0) throw new RangeError(`${name}: empty array (at least one sample is required)`);
  const rows = m.length;
  const first = m[0];
  if (first == null || typeof first.length !== 'number') throw new TypeError(`${name}[0]: expected an array (one row of C ${what})`);
  const cols = first.length;
  if (cols === 0) throw new RangeError(`${name}[0] is empty: at least one column is required`);
  const data = make(rows * cols);
  for (let i = 0; i < rows; i++) {
    const r = m[i];
    if (r == null || typeof r.length !== 'number') throw new TypeError(`${name}[${i}]: expected an array (one row of C ${what})`);
    if (r.length !== cols) {
      throw new RangeError(`${name}[${i}] has ${r.length} entries but ${name}[0] has ${cols}: every row must have the same length`);
    }
    for (let j = 0; j < cols; j++) {
      const v = r[j];
      const problem = check(v);
      if (problem !== null) throw new RangeError(`${name}[${i}][${j}] = ${String(v)}: ${problem}`);
      data[i * cols + j] = v;
    }
  }
  return { data, rows, cols };
}

/** An N×C indicator matrix of 0/1 labels (scikit-learn's multilabel-indicator format). */
export function checkLabelMatrix(name: string, m: ArrayLike<ArrayLike<number>>): LabelMatrix {
  return checkMatrix(name, m, 'labels', (n) => new Uint8Array(n),
    (v) => (v === 0 || v === 1 ? null : 'expected 0 or 1 (label absent or present)'));
}

/** An N×C matrix of finite scores. */
export function checkScoreMatrix(name: string, m: ArrayLike<ArrayLike<number>>): ScoreMatrix {
  return checkMatrix(name, m, 'scores', (n) => new Float64Array(n),
    (v) => (typeof v === 'number' && Number.isFinite(v) ? null : 'expected a finite number'));
}

/**
 * An N×C matrix of class probabilities: each in [0, 1], each row summing to 1 within NumPy's allclose
 * tolerance (|1 - sum| <= 1e-8 + 1e-5·|sum|, the sum in NumPy's order), the test scikit-learn's multiclass
 * roc_auc_score makes.
 */
export function checkProbaMatrix(name: string, m: ArrayLike<ArrayLike<number>>): ScoreMatrix {
  const out = checkMatrix(name, m, 'class probabilities', (n) => new Float64Array(n),
    (v) => (typeof v === 'number' && v >= 0 && v <= 1 ? null : 'expected a probability in [0, 1]'));
  for (let i = 0; i < out.rows; i++) {
    const s = rowSum(out, i);
    if (!(Math.abs(1 - s) <= 1e-8 + 1e-5 * Math.abs(s))) {
      throw new RangeError(`${name}[${i}] sums to ${s}, not 1: expected class probabilities (each row summing to 1)`);
    }
  }
  return out;
}

/** `m.sum(axis=1)[i]`: NumPy sums a contiguous row pairwise, as npSum does (checked for C up to 200). */
export function rowSum(m: ScoreMatrix, i: number): number {
  return npSum(row(m, i));
}

export function checkSameShape(nameA: string, a: Matrix<Uint8Array | Float64Array>, nameB: string, b: Matrix<Uint8Array | Float64Array>): void {
  if (a.rows !== b.rows || a.cols !== b.cols) {
    throw new RangeError(`${nameA} is ${a.rows}×${a.cols} but ${nameB} is ${b.rows}×${b.cols}: they must have the same shape`);
  }
}

/** Column j as its own array. */
export function column<T extends Uint8Array | Float64Array>(m: Matrix<T>, j: number): T {
  const out = (m.data instanceof Uint8Array ? new Uint8Array(m.rows) : new Float64Array(m.rows)) as T;
  for (let i = 0; i < m.rows; i++) out[i] = m.data[i * m.cols + j];
  return out;
}

/** Row i (a view, not a copy). */
export function row<T extends Uint8Array | Float64Array>(m: Matrix<T>, i: number): T {
  return m.data.subarray(i * m.cols, (i + 1) * m.cols) as T;
}
