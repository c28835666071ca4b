// Python's str.format for the few specs scikit-learn's classification_report uses, so our text is
// byte-identical. Number.prototype.toFixed rounds exact ties (0.125 -> "0.13") away from zero, while
// Python rounds the exact binary value half-to-even ("0.12"); so the rounding is done here with BigInt
// on the exact value of the double.

const f64 = new Float64Array(1);
const u32 = new Uint32Array(f64.buffer);
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

/** The exact value of a finite, non-negative double as mantissa * 2^exponent. */
function decompose(x: number): { mantissa: bigint; exponent: number } {
  f64[0] = x;
  const hi = LITTLE_ENDIAN ? u32[1] : u32[0];
  const lo = LITTLE_ENDIAN ? u32[0] : u32[1];
  const biased = (hi >>> 20) & 0x7ff;
  const frac = (BigInt(hi & 0xfffff) << 32n) | BigInt(lo);
  if (biased === 0) return { mantissa: frac, exponent: -1074 }; // zero and subnormals
  return { mantissa: frac | (1n << 52n), exponent: biased - 1075 };
}

/** Python's `format(x, '.{digits}f')`: exact value, rounded half to even; 'nan', 'inf', '-inf'. */
export function pyFixed(x: number, digits: number): string {
  if (!Number.isInteger(digits) || digits < 0) throw new RangeError(`digits = ${digits}: expected a non-negative integer`);
  if (Number.isNaN(x)) return 'nan';
  if (x === Infinity) return 'inf';
  if (x === -Infinity) return '-inf';
  const negative = x < 0 || Object.is(x, -0);
  const { mantissa, exponent } = decompose(Math.abs(x));
  const scale = 10n ** BigInt(digits);
  let q: bigint;
  if (exponent >= 0) {
    q = (mantissa << BigInt(exponent)) * scale;
  } else {
    const num = mantissa * scale;
    const den = 1n << BigInt(-exponent);
    q = num / den;
    const twiceRem = (num % den) * 2n;
    if (twiceRem > den || (twiceRem === den && (q & 1n) === 1n)) q += 1n;
  }
  let s = q.toString();
  if (digits > 0) {
    s = s.padStart(digits + 1, '0');
    s = `${s.slice(0, s.length - digits)}.${s.slice(s.length - digits)}`;
  }
  return negative ? `-${s}` : s;
}

/** Python's `'{:>{width}}'.format(s)`: right-aligns by code points (Python's len), not UTF-16 units. */
export function pyRjust(s: string, width: number): string {
  const len = pyLen(s);
  return len >= width ? s : ' '.repeat(width - len) + s;
}

/** Python's len() of a str: the number of code points. */
export function pyLen(s: string): number {
  let n = 0;
  for (const _ of s) n++;
  return n;
}
