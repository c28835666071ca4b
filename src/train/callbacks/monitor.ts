// Reading a monitored metric out of an epoch record, and the one comparison every callback uses.
// The mode is always explicit (never guessed from the name: Keras' "auto" once minimised AUC).
import type { Mode, Monitor } from '../config/index.js';
import type { EpochRecord } from '../types.js';

export function metricOf(record: EpochRecord, monitor: Monitor): number {
  const v = record[monitor];
  if (typeof v !== 'number') throw new Error(`unknown monitored metric '${monitor}'`);
  return v;
}

/**
 * Whether `current` improves on `best` by more than `minDelta` in direction `mode`. NaN never improves
 * (a validation set whose AUC is undefined must not become "the best epoch").
 */
export function improves(current: number, best: number, mode: Mode, minDelta = 0): boolean {
  if (Number.isNaN(current)) return false;
  return mode === 'max' ? current - minDelta > best : current + minDelta < best;
}

/** The starting "best" of a mode: anything finite improves on it. */
export const worst = (mode: Mode): number => (mode === 'max' ? -Infinity : Infinity);

/** Checks a number read from a resume state (non-finite values are allowed: the best starts at ±Infinity). */
export function stateNumber(v: unknown, what: string): number {
  if (typeof v !== 'number') throw new Error(`resume state: ${what} is not a number (${JSON.stringify(v)})`);
  return v;
}
