// Comparison and deterministic data helpers for parity tests.
import assert from 'node:assert/strict';
import { mulberry32 } from '../../src/metrics/index.js';

/** n values in [-1, 1) from a small seeded generator (mulberry32), identical on every run. */
export function seededValues(n: number, seed: number): number[] {
  const next = mulberry32(seed);
  return Array.from({ length: n }, () => next() * 2 - 1);
}

/**
 * Asserts |actual - expected| <= rtol * |expected| + atol elementwise, where atol scales with the largest
 * expected magnitude (float32 sums of many terms differ in the last bits when accumulated in another order).
 */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = 1e-5): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} != ${expected.length}`);
  let scale = 0;
  for (let i = 0; i < expected.length; i++) scale = Math.max(scale, Math.abs(expected[i]));
  const atol = rtol * Math.max(scale, 1e-3);
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(e) && Number.isNaN(a)) continue;
    if (!(Math.abs(a - e) <= rtol * Math.abs(e) + atol)) {
      assert.fail(`${what}: element ${i} is ${a}, expected ${e} (rtol ${rtol})`);
    }
  }
}
