// Input checks shared by every metric: a bad array fails loudly with the argument name and the first
// offending index, instead of producing a silently wrong number.

/** Throws unless `y` is non-empty and holds only 0 and 1. Returns a Uint8Array copy. */
export function checkBinaryLabels(name: string, y: ArrayLike<number>): Uint8Array {
  if (y == null || typeof y.length !== 'number') throw new TypeError(`${name}: expected an array of 0/1 labels`);
  if (y.length === 0) throw new RangeError(`${name}: empty array (at least one sample is required)`);
  const out = new Uint8Array(y.length);
  for (let i = 0; i < y.length; i++) {
    const v = y[i];
    if (v === 0 || v === 1) out[i] = v;
    else throw new RangeError(`${name}[${i}] = ${String(v)}: expected 0 (negative) or 1 (positive)`);
  }
  return out;
}

/** Throws unless every value is a finite number. Returns a Float64Array copy. */
export function checkFinite(name: string, x: ArrayLike<number>): Float64Array {
  if (x == null || typeof x.length !== 'number') throw new TypeError(`${name}: expected an array of numbers`);
  const out = new Float64Array(x.length);
  for (let i = 0; i < x.length; i++) {
    const v = x[i];
    if (typeof v !== 'number' || !Number.isFinite(v)) {
      throw new RangeError(`${name}[${i}] = ${String(v)}: expected a finite number`);
    }
    out[i] = v;
  }
  return out;
}

/** Like checkFinite, and every value must lie in [0, 1]. */
export function checkProbabilities(name: string, p: ArrayLike<number>): Float64Array {
  const out = checkFinite(name, p);
  for (let i = 0; i < out.length; i++) {
    if (out[i] < 0 || out[i] > 1) throw new RangeError(`${name}[${i}] = ${out[i]}: expected a probability in [0, 1]`);
  }
  return out;
}

export function checkSameLength(nameA: string, a: ArrayLike<number>, nameB: string, b: ArrayLike<number>): void {
  if (a.length !== b.length) {
    throw new RangeError(`${nameA} has ${a.length} entries but ${nameB} has ${b.length}: they must have the same length`);
  }
}

/** A finite number check for scalar options. */
export function checkFiniteOption(name: string, v: unknown): number {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new RangeError(`${name} = ${String(v)}: expected a finite number`);
  return v;
}
