// Shared fixtures of the metrics parity tests: many small seeded binary problems of every awkward kind
// (ties, constant scores, n = 2..5, 1:20 imbalance, integer scores, exact 0/1 probabilities), plus two
// long ones that cross NumPy's 8192-element summation buffer. Not a test file itself.
import assert from 'node:assert/strict';
import { mulberry32 } from '../src/metrics/bootstrap.js';

export interface Case {
  kind: string;
  y: number[];
  /** Scores; probabilities in [0, 1] unless kind === 'integer'. */
  s: number[];
}

export interface CaseOptions {
  /** Make sure yTrue holds both classes (default true). */
  bothClasses?: boolean;
  /** Only cases whose scores are probabilities in [0, 1] (default false). */
  probOnly?: boolean;
  /** Include the two long cases (default true). */
  long?: boolean;
  seed?: number;
}

export function makeCases(count = 200, opts: CaseOptions = {}): Case[] {
  const rng = mulberry32(opts.seed ?? 12345);
  const int = (lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
  const labels = (n: number, pPos: number): number[] => Array.from({ length: n }, () => (rng() < pPos ? 1 : 0));
  const kinds = ['uniform', 'ties', 'constant', 'tiny', 'imbalanced', 'extreme', 'informative', 'integer'];
  const cases: Case[] = [];
  for (let c = 0; cases.length < count; c++) {
    const kind = kinds[c % kinds.length];
    if (opts.probOnly && kind === 'integer') continue;
    let y: number[];
    let s: number[];
    switch (kind) {
      case 'uniform': {
        const n = int(2, 60);
        y = labels(n, 0.5);
        s = y.map(() => rng());
        break;
      }
      case 'ties': {
        const n = int(3, 50);
        const k = int(2, 6);
        y = labels(n, 0.4);
        s = y.map(() => Math.floor(rng() * k) / k);
        break;
      }
      case 'constant': {
        const n = int(2, 20);
        y = labels(n, 0.5);
        const v = [0, 0.5, 1, 0.3][int(0, 3)];
        s = y.map(() => v);
        break;
      }
      case 'tiny': {
        const n = int(2, 5);
        y = labels(n, 0.5);
        s = y.map(() => (rng() < 0.3 ? 0.5 : Math.round(rng() * 100) / 100));
        break;
      }
      case 'imbalanced': {
        const k = int(1, 5);
        const minority: number = rng() < 0.5 ? 1 : 0;
        y = Array.from({ length: 21 * k }, (_, i) => (i < k ? minority : 1 - minority));
        shuffle(y, rng);
        s = y.map((v) => Math.min(1, Math.max(0, (v ? 0.6 : 0.4) + (rng() - 0.5) * 0.8)));
        break;
      }
      case 'extreme': {
        const n = int(2, 30);
        y = labels(n, 0.5);
        const pool = [0, 1, 1e-20, 1 - 1e-17, Number.EPSILON, 1 - Number.EPSILON, 0.5, 1e-300];
        s = y.map(() => (rng() < 0.6 ? pool[int(0, pool.length - 1)] : rng()));
        break;
      }
      case 'informative': {
        const n = int(10, 120);
        y = labels(n, 0.3);
        s = y.map((v) => 1 / (1 + Math.exp(-((v ? 1 : -1) + 1.5 * (rng() + rng() + rng() - 1.5)))));
        break;
      }
      default: { // 'integer'
        const n = int(2, 40);
        y = labels(n, 0.5);
        s = y.map(() => int(0, 5));
        break;
      }
    }
    if ((opts.bothClasses ?? true) && new Set(y).size < 2) {
      y[0] = 1 - y[0];
    }
    cases.push({ kind, y, s });
  }
  if (opts.long ?? true) {
    for (const n of [9000, 20000]) {
      const y = labels(n, 0.3);
      const s = y.map((v) => Math.min(1, Math.max(0, rng() * 0.7 + (v ? 0.3 : 0))));
      cases.push({ kind: `long${n}`, y, s });
    }
  }
  return cases;
}

function shuffle(a: number[], rng: () => number): void {
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
}

/**
 * Equal floats: both NaN, or === (so 0 equals -0), or, with rel > 0, within rel·max(1, |expected|).
 */
export function sameFloat(actual: number, expected: number, rel = 0): boolean {
  if (Number.isNaN(actual) || Number.isNaN(expected)) return Number.isNaN(actual) && Number.isNaN(expected);
  if (actual === expected) return true;
  return rel > 0 && Math.abs(actual - expected) <= rel * Math.max(1, Math.abs(expected));
}

export function assertFloat(actual: number, expected: number, what: string, rel = 0): void {
  assert.ok(sameFloat(actual, expected, rel), `${what}: got ${actual}, expected ${expected}`);
}

export function assertFloats(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rel = 0): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length}, expected ${expected.length}`);
  for (let i = 0; i < actual.length; i++) assertFloat(actual[i], expected[i], `${what}[${i}]`, rel);
}
