// Floating-point building blocks that reproduce NumPy's arithmetic bit for bit, so that our metrics equal
// scikit-learn's exactly and not only to ~1e-15. The order of additions is what matters: NumPy does not
// add left to right.

/** NumPy's reduction inner loop sees at most this many elements at a time (its buffer size). */
const NUMPY_BUFSIZE = 8192;
/** Below this length NumPy's pairwise summation switches to an 8-way unrolled loop. */
const PW_BLOCKSIZE = 128;

/** NumPy's `pairwise_sum` over a[lo, lo+n). */
function pairwiseSum(a: ArrayLike<number>, lo: number, n: number): number {
  if (n < 8) {
    let res = 0;
    for (let i = 0; i < n; i++) res += a[lo + i];
    return res;
  }
  if (n <= PW_BLOCKSIZE) {
    let r0 = a[lo], r1 = a[lo + 1], r2 = a[lo + 2], r3 = a[lo + 3];
    let r4 = a[lo + 4], r5 = a[lo + 5], r6 = a[lo + 6], r7 = a[lo + 7];
    let i = 8;
    const end = n - (n % 8);
    for (; i < end; i += 8) {
      r0 += a[lo + i]; r1 += a[lo + i + 1]; r2 += a[lo + i + 2]; r3 += a[lo + i + 3];
      r4 += a[lo + i + 4]; r5 += a[lo + i + 5]; r6 += a[lo + i + 6]; r7 += a[lo + i + 7];
    }
    let res = ((r0 + r1) + (r2 + r3)) + ((r4 + r5) + (r6 + r7));
    for (; i < n; i++) res += a[lo + i];
    return res;
  }
  let n2 = Math.floor(n / 2);
  n2 -= n2 % 8;
  return pairwiseSum(a, lo, n2) + pairwiseSum(a, lo + n2, n - n2);
}

/**
 * `np.sum(a)` for a contiguous float64 array, bit-exact: the identity 0 plus, buffer by buffer (8192
 * elements), NumPy's pairwise sum of each buffer. Checked against NumPy 1.24 in test/metrics-numeric.
 */
export function npSum(a: ArrayLike<number>): number {
  let res = 0;
  for (let lo = 0; lo < a.length; lo += NUMPY_BUFSIZE) {
    res += pairwiseSum(a, lo, Math.min(NUMPY_BUFSIZE, a.length - lo));
  }
  return res;
}

/** `np.mean(a)` (= `np.average(a)`): the NumPy sum divided by the count; NaN for an empty array. */
export function npMean(a: ArrayLike<number>): number {
  return a.length === 0 ? NaN : npSum(a) / a.length;
}

/** `np.average(a, weights=w)`: sum(a*w)/sum(w); throws when the weights sum to zero, as NumPy does. */
export function npWeightedAverage(a: ArrayLike<number>, w: ArrayLike<number>): number {
  const prod = new Float64Array(a.length);
  for (let i = 0; i < a.length; i++) prod[i] = a[i] * w[i];
  const scale = npSum(w);
  if (scale === 0) throw new RangeError('weights sum to zero, cannot be normalized');
  return npSum(prod) / scale;
}

/**
 * `np.linspace(0, 1, num)`: NumPy multiplies the index by the step 1/(num-1) (so 3 * 0.1 gives
 * 0.30000000000000004, not 0.3) and then sets the last point to exactly 1.
 */
export function linspace01(num: number): Float64Array {
  const out = new Float64Array(num);
  if (num === 1) return out;
  const step = 1 / (num - 1);
  for (let i = 0; i < num; i++) out[i] = i * step + 0;
  out[num - 1] = 1;
  return out;
}

/**
 * `np.percentile(a, q)` with the default 'linear' method (Hyndman & Fan type 7), bit-exact, for q in
 * [0, 100]. `sorted` must be sorted ascending and contain no NaN.
 */
export function percentileSorted(sorted: ArrayLike<number>, q: number): number {
  const n = sorted.length;
  if (n === 0) return NaN;
  if (!(q >= 0 && q <= 100)) throw new RangeError(`percentile must be in [0, 100], got ${q}`);
  const virtualIndex = (n - 1) * (q / 100);
  let prev: number;
  let next: number;
  if (virtualIndex >= n - 1) {
    prev = next = n - 1;
  } else {
    prev = Math.floor(virtualIndex);
    next = prev + 1;
  }
  // NumPy computes gamma against index -1 in the clipped case; a and b are then equal so it cannot matter.
  const gamma = virtualIndex >= n - 1 ? virtualIndex + 1 : virtualIndex - prev;
  const a = sorted[prev];
  const b = sorted[next];
  // NumPy's _lerp: a + (b-a)*t, recomputed from b's side when t >= 0.5 (keeps monotonicity).
  const diff = b - a;
  return gamma >= 0.5 ? b - diff * (1 - gamma) : a + diff * gamma;
}
