// Pairs up two coordinate arrays, dropping non-finite pairs: NaN/Infinity in curves (an undefined
// precision, a missing metric) must not break a chart, only leave a gap.
import { isFiniteNumber } from '../format.js';

export function finitePairs(xs: ArrayLike<number>, ys: ArrayLike<number>, what: string): { i: number; x: number; y: number }[] {
  if (xs.length !== ys.length) throw new Error(`${what}: arrays differ in length (${xs.length} vs ${ys.length})`);
  const out: { i: number; x: number; y: number }[] = [];
  for (let i = 0; i < xs.length; i++) {
    const x = xs[i];
    const y = ys[i];
    if (isFiniteNumber(x) && isFiniteNumber(y)) out.push({ i, x, y });
  }
  return out;
}
