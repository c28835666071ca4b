// Parsers for option values. They throw commander's InvalidArgumentError, so a bad value is reported as
// "option '--batch-size <n>' argument 'abc' is invalid. expected an integer ≥ 2" with exit code 2.
import { InvalidArgumentError } from 'commander';

// Number() accepts '', '0x10', ' 5 ' and 'Infinity'; a command line deserves a stricter reading.
const DECIMAL = /^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

function toNumber(value: string, expected: string): number {
  if (!DECIMAL.test(value.trim())) throw new InvalidArgumentError(`expected ${expected}`);
  return Number(value);
}

export function integer(min: number, max = Number.MAX_SAFE_INTEGER) {
  const expected = max === Number.MAX_SAFE_INTEGER ? `an integer ≥ ${min}` : `an integer from ${min} to ${max}`;
  return (value: string): number => {
    const n = toNumber(value, expected);
    if (!Number.isInteger(n) || n < min || n > max) throw new InvalidArgumentError(`expected ${expected}`);
    return n;
  };
}

export function positiveNumber(value: string): number {
  const n = toNumber(value, 'a positive number');
  if (!(n > 0) || !Number.isFinite(n)) throw new InvalidArgumentError('expected a positive number');
  return n;
}

/** A fraction in [0, 1) (val/test fractions) or [0, 1] (probability thresholds, dropout is [0, 1)). */
export function fraction(includeOne: boolean) {
  const expected = `a number from 0 to 1${includeOne ? '' : ' (1 excluded)'}`;
  return (value: string): number => {
    const n = toNumber(value, expected);
    if (n < 0 || n > 1 || (!includeOne && n === 1)) throw new InvalidArgumentError(`expected ${expected}`);
    return n;
  };
}

export function posWeight(value: string): number | 'auto' {
  if (value === 'auto') return 'auto';
  const n = toNumber(value, '"auto" or a positive number');
  if (!(n > 0)) throw new InvalidArgumentError('expected "auto" or a positive number');
  return n;
}

/**
 * `--classes NEG,POS` (a binary model: two names, negative first), or `A,B,C,...` (a multi-class or multi-label
 * model: one name per output, in order): distinct, non-empty names. How many the model needs is checked with it.
 */
export function classes(value: string): string[] {
  const parts = value.split(',').map((s) => s.trim());
  if (parts.length < 2 || parts.some((p) => !p) || new Set(parts).size !== parts.length) {
    throw new InvalidArgumentError('expected two different class names separated by a comma, negative first: NEG,POS ' +
      '(a multi-class or multi-label model: one name per output, in order: A,B,C,...)');
  }
  return parts;
}

export function nonEmpty(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('expected a non-empty value');
  return value;
}

/** Repeatable `--dicom-window CENTER,WIDTH` (e.g. -600,1500): the windows in the order given. */
export function dicomWindow(value: string, previous: Array<[number, number]> | undefined): Array<[number, number]> {
  const parts = value.split(',');
  const expected = 'CENTER,WIDTH, e.g. 40,400 (a soft-tissue window on CT)';
  if (parts.length !== 2) throw new InvalidArgumentError(`expected ${expected}`);
  return [...(previous ?? []), [toNumber(parts[0]!, expected), toNumber(parts[1]!, expected)]];
}

/** Repeatable `--set KEY=VALUE`. */
export function collect(value: string, previous: string[] | undefined): string[] {
  if (!value.includes('=')) throw new InvalidArgumentError('expected KEY=VALUE, e.g. phases[1].lr=1e-4');
  return [...(previous ?? []), value];
}
