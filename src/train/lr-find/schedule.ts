// The LR range test's arithmetic (Smith 2017, "Cyclical Learning Rates for Training Neural Networks", section
// 3.3), as fastai's `lr_find` and Lightning's `lr_finder` do it: the learning rate grows exponentially from
// startLr toward endLr over `steps` steps (step i: startLr * (endLr / startLr) ** (i / steps), so the last step is
// just below endLr, as both do), the loss is smoothed by an exponential moving average with bias correction
// (beta 0.98), and the test stops once the smoothed loss exceeds 4 x the best so far (or is not finite).
// Pure functions: tested on fixed loss curves.

export interface RangeTestSettings {
  startLr: number;
  endLr: number;
  steps: number;
  beta: number;
  /** Stop when the smoothed loss exceeds this multiple of the best smoothed loss. */
  divergence: number;
}

export const RANGE_TEST_DEFAULTS: RangeTestSettings = { startLr: 1e-7, endLr: 10, steps: 100, beta: 0.98, divergence: 4 };

/** The learning rate of step i (0-based). */
export function rangeTestLr(i: number, s: Pick<RangeTestSettings, 'startLr' | 'endLr' | 'steps'>): number {
  return s.startLr * (s.endLr / s.startLr) ** (i / s.steps);
}

/** Exponential smoothing with bias correction: avg = beta avg + (1 - beta) loss; smoothed = avg / (1 - beta^(i+1)). */
export class LossSmoother {
  #avg = 0;
  #count = 0;
  #best = Infinity;
  constructor(readonly beta = RANGE_TEST_DEFAULTS.beta, readonly divergence = RANGE_TEST_DEFAULTS.divergence) {}

  /** Adds a step's loss; returns the smoothed loss and whether the test should stop (diverged). */
  add(loss: number): { smoothed: number; stop: boolean } {
    this.#count++;
    this.#avg = this.beta * this.#avg + (1 - this.beta) * loss;
    const smoothed = this.#avg / (1 - this.beta ** this.#count);
    // The first step only sets the best (Lightning: current_step > 1; fastai compares from the first).
    const stop = !Number.isFinite(smoothed) || (this.#count > 1 && smoothed > this.divergence * this.#best);
    if (smoothed < this.#best) this.#best = smoothed;
    return { smoothed, stop };
  }
}

/** numpy.gradient of equally spaced values: central differences inside, one-sided at the ends. */
export function npGradient(y: readonly number[]): number[] {
  const n = y.length;
  if (n < 2) return n === 1 ? [0] : [];
  return y.map((_, i) => (i === 0 ? y[1]! - y[0]! : i === n - 1 ? y[n - 1]! - y[n - 2]! : (y[i + 1]! - y[i - 1]!) / 2));
}

/**
 * Lightning's suggestion (`LRFinder.suggestion(skip_begin=10, skip_end=1)`): the rate at the steepest descent of
 * the smoothed loss, argmin of numpy.gradient over the points without the first 10 and the last 1 (with
 * exponential spacing a step in the index is a step in log lr). Null with too few points.
 */
export function steepestIndex(smoothed: readonly number[], skipBegin = 10, skipEnd = 1): number | null {
  const part = smoothed.slice(skipBegin, smoothed.length - skipEnd);
  if (part.length < 2) return null;
  const g = npGradient(part);
  let best = 0;
  for (let i = 1; i < g.length; i++) if (g[i]! < g[best]!) best = i;
  return skipBegin + best;
}

/**
 * fastai's `valley` suggestion on the points it keeps (`lrs[num_it//10:-5]`): the longest valley (the longest
 * decreasing subsequence, found as fastai does, its start one before its first point), and the point at
 * start + int(len / 3) + int(len / 6) of it, about half way down. Returns the index into `smoothed`, or null
 * with too few points.
 */
export function valleyIndex(smoothed: readonly number[], plannedSteps: number): number | null {
  const begin = Math.floor(plannedSteps / 10);
  const losses = smoothed.slice(begin, Math.max(begin, smoothed.length - 5));
  const n = losses.length;
  if (n < 2) return null;
  let maxStart = 0, maxEnd = 0;
  const lds = new Array<number>(n).fill(1);
  for (let i = 1; i < n; i++) {
    for (let j = 0; j < i; j++) {
      if (losses[i]! < losses[j]! && lds[i]! < lds[j]! + 1) lds[i] = lds[j]! + 1;
      if (lds[maxEnd]! < lds[i]!) {
        maxEnd = i;
        maxStart = maxEnd - lds[maxEnd]!;
      }
    }
  }
  const sections = (maxEnd - maxStart) / 3;
  return begin + maxStart + Math.trunc(sections) + Math.trunc(sections / 2);
}
