// What the report needs of a C-class evaluation, as plain arrays (no engine type): the producer (src/eval)
// fills these from its predictions; the per-class numbers are computed here with src/metrics.
export interface MultiClassView {
  classes: string[];
  /** True class index per image (0..C-1). */
  yTrue: Int32Array;
  /** n×C softmax probabilities, row-major. */
  probs: Float32Array;
  /** Image path per row, as predictions.csv writes it. */
  paths: string[];
}

export interface MultiLabelView {
  /** The label names, in column order. */
  classes: string[];
  /** n×C multi-hot truth, row-major (1 = the image has the label). */
  yTrue: Uint8Array;
  /** n×C sigmoid probabilities, row-major. */
  probs: Float32Array;
  /** The decision threshold of each label (chosen on validation). */
  thresholds: Float32Array;
  paths: string[];
}

/** Throws naming the first inconsistency (sizes, an index out of range, a probability outside [0, 1]). */
function checkCommon(what: string, names: string[], yLength: number, probs: Float32Array, paths: string[], perRow: boolean): number {
  const c = names.length;
  if (c < 2) throw new RangeError(`${what}: ${c} class name${c === 1 ? '' : 's'} given; a C-class report needs at least 2`);
  const n = paths.length;
  if (n === 0) throw new RangeError(`${what}: no image to report on (paths is empty)`);
  const expectedY = perRow ? n : n * c;
  if (yLength !== expectedY) throw new RangeError(`${what}: yTrue has ${yLength} entries, expected ${expectedY} (${n} images${perRow ? '' : ` × ${c} labels`})`);
  if (probs.length !== n * c) throw new RangeError(`${what}: probs has ${probs.length} entries, expected ${n * c} (${n} images × ${c} classes)`);
  for (let k = 0; k < probs.length; k++) {
    const p = probs[k];
    if (!(p >= 0 && p <= 1)) throw new RangeError(`${what}: probs of image ${Math.floor(k / c)} (${paths[Math.floor(k / c)]}), class ${k % c} is ${p}: expected a probability in [0, 1]`);
  }
  return n;
}

export function checkMultiClassView(v: MultiClassView): number {
  const n = checkCommon('multiclass report', v.classes, v.yTrue.length, v.probs, v.paths, true);
  const c = v.classes.length;
  v.yTrue.forEach((y, i) => {
    if (!(Number.isInteger(y) && y >= 0 && y < c)) throw new RangeError(`multiclass report: yTrue[${i}] = ${y} (${v.paths[i]}): expected a class index from 0 to ${c - 1}`);
  });
  return n;
}

export function checkMultiLabelView(v: MultiLabelView): number {
  const n = checkCommon('multilabel report', v.classes, v.yTrue.length, v.probs, v.paths, false);
  v.yTrue.forEach((y, k) => {
    if (y !== 0 && y !== 1) throw new RangeError(`multilabel report: yTrue entry ${k} (image ${Math.floor(k / v.classes.length)}) is ${y}: expected 0 or 1`);
  });
  if (v.thresholds.length !== v.classes.length) {
    throw new RangeError(`multilabel report: ${v.thresholds.length} thresholds for ${v.classes.length} labels: expected one per label`);
  }
  return n;
}

/** Column j of an n×C row-major matrix, as float64 (what the metrics take). */
export function columnOf(m: ArrayLike<number>, c: number, j: number): Float64Array {
  const n = m.length / c;
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = m[i * c + j];
  return out;
}

/** The rows of an n×C row-major matrix as views (the metrics take arrays of rows). */
export function rowsOf<T extends Float32Array | Uint8Array>(m: T, c: number): T[] {
  const out: T[] = [];
  for (let i = 0; i < m.length; i += c) out.push(m.subarray(i, i + c) as T);
  return out;
}

/** The predicted class of each row: the first highest probability (NumPy's argmax). */
export function argmaxRows(probs: Float32Array, c: number): Int32Array {
  const n = probs.length / c;
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    let best = 0;
    for (let j = 1; j < c; j++) if (probs[i * c + j] > probs[i * c + best]) best = j;
    out[i] = best;
  }
  return out;
}

/** 1 where probs >= the label's threshold (the multilabel decision), row-major as probs. */
export function multiLabelDecisions(v: MultiLabelView): Uint8Array {
  const c = v.classes.length;
  return Uint8Array.from(v.probs, (p, k) => (p >= v.thresholds[k % c] ? 1 : 0));
}
