// Shared pieces of the nn/optim parity tests: reproducible float32 data that JSON carries exactly to the
// Python oracle, tensors from it, and an element-wise closeness check with a useful failure message.
import assert from 'node:assert/strict';
import { tensor, type Tensor } from '../../src/torch/index.js';
import { mulberry32 } from '../../src/metrics/index.js';

/** n values in [lo, hi), float32-exact (so JSON round-trips them bit for bit), from a seeded mulberry32. */
export function rand(n: number, seed: number, lo = -1, hi = 1): number[] {
  const next = mulberry32(seed);
  return Array.from({ length: n }, () => Math.fround(lo + (hi - lo) * next()));
}

export const numel = (shape: readonly number[]): number => shape.reduce((a, b) => a * b, 1);

/** A float32 tensor of the given shape filled from rand(). */
export function randTensor(shape: readonly number[], seed: number, lo = -1, hi = 1): Tensor {
  return tensor(Float32Array.from(rand(numel(shape), seed, lo, hi)), { shape });
}

/** |a - e| <= atol + rtol·|e| everywhere; the message names the worst element. */
export function assertClose(actual: ArrayLike<number>, expected: ArrayLike<number>, what: string, rtol = 1e-5, atol = 1e-6): void {
  assert.equal(actual.length, expected.length, `${what}: length ${actual.length} != ${expected.length}`);
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < actual.length; i++) {
    const a = actual[i];
    const e = expected[i];
    if (Number.isNaN(a) || Number.isNaN(e)) {
      assert.ok(Number.isNaN(a) && Number.isNaN(e), `${what}[${i}]: ${a} vs ${e}`);
      continue;
    }
    const excess = Math.abs(a - e) - (atol + rtol * Math.abs(e));
    if (excess > worstExcess) {
      worstExcess = excess;
      worst = i;
    }
  }
  if (worst >= 0) assert.fail(`${what}[${worst}]: got ${actual[worst]}, expected ${expected[worst]} (rtol ${rtol}, atol ${atol})`);
}

/** Flat float64 values of a tensor. */
export const values = (t: Tensor): number[] => t.toArray();
