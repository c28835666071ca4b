// Comparison and deterministic data helpers for parity tests.
import assert from 'node:assert/strict';

/** n values in [-1, 1) from a small seeded generator (mulberry32), identical on every run. */
export function seededValues(n: number, seed: number): number[] {
  let s = seed >>> 0;
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    out.push((((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1);
  }
  return out;
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
