// Number formatting shared by chart titles and the HTML tables: non-finite values print as a dash
// instead of "NaN", which would read as a bug to a user.

export function isFiniteNumber(x: unknown): x is number {
  return typeof x === 'number' && Number.isFinite(x);
}

export function fmt(x: unknown, digits = 3): string {
  if (!isFiniteNumber(x)) return '–';
  return x.toFixed(digits);
}

// pos_weight and thresholds: the rounding shared with the audit and the trainer's console.
export { fmtSignificant } from '../format/numbers.js';

/** Compact form for learning rates and similar values spanning decades. */
export function fmtSci(x: unknown): string {
  if (!isFiniteNumber(x)) return '–';
  if (x === 0) return '0';
  const a = Math.abs(x);
  return a >= 1e-3 && a < 1e4 ? String(Number(x.toPrecision(4))) : x.toExponential(2);
}

export function fmtPercent(x: unknown, digits = 1): string {
  return isFiniteNumber(x) ? `${(x * 100).toFixed(digits)}%` : '–';
}

/** Seconds as "1 h 02 min", "3 min 07 s" or "4.2 s". */
export function fmtDuration(seconds: unknown): string {
  if (!isFiniteNumber(seconds) || seconds < 0) return '–';
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = s % 60;
  return h > 0 ? `${h} h ${String(m).padStart(2, '0')} min` : `${m} min ${String(sec).padStart(2, '0')} s`;
}
