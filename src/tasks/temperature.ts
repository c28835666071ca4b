// Temperature scaling (Guo et al. 2017, "On Calibration of Modern Neural Networks"): one scalar T > 0 divides the
// logits before the sigmoid or softmax; it is fitted on the validation logits by minimising the negative log
// likelihood (unweighted: BCE for binary and multi-label, cross-entropy for multi-class). The NLL is a convex
// function of 1/T, hence unimodal in log T: a golden-section search on log T within [1/100, 100] finds its
// minimum, each evaluation one libtorch loss in float64. Decisions by argmax are unchanged by T; thresholds on
// probabilities are chosen again after calibration.
import { F, noGrad, scope, tensor } from '../torch/index.js';
import type { TaskKind } from '../models/index.js';

/** The search interval of log T: T in [0.01, 100]. */
export const LOG_T_RANGE: readonly [number, number] = [Math.log(0.01), Math.log(100)];
const GOLDEN = (Math.sqrt(5) - 1) / 2;
/** Width of the final interval of log T (T known to about 1e-7 relative). */
const TOLERANCE = 1e-7;

export interface TemperatureFit {
  temperature: number;
  /** Mean NLL on the fitting data at T = 1 and at the fitted T. */
  nllBefore: number;
  nllAfter: number;
  /** The minimum lay at an end of the search interval (e.g. perfectly separated validation data). */
  atBound: boolean;
}

/**
 * The mean NLL of logits [n, width] / T against the labels (binary: n 0/1 values; multi-class: n class indices;
 * multi-label: n x width 0/1 values), as a function of T, on float64 tensors made once.
 */
export function nllOfTemperature(kind: TaskKind, logits: ArrayLike<number>, labels: ArrayLike<number>, width: number): { at(t: number): number; dispose(): void } {
  const n = logits.length / width;
  if (!Number.isInteger(n) || n < 1) throw new Error(`temperature scaling: ${logits.length} logits do not make rows of ${width}`);
  const z = tensor(Float64Array.from(logits), { shape: [n, width] });
  const y = kind === 'multiclass'
    ? tensor(BigInt64Array.from(Array.from(labels, (v) => BigInt(v))), { shape: [n] })
    : tensor(Float64Array.from(labels), { shape: [n, width] });
  if (y.numel !== (kind === 'multiclass' ? n : n * width)) {
    z.dispose(); y.dispose();
    throw new Error(`temperature scaling: ${labels.length} labels for ${n} images of ${width} outputs`);
  }
  return {
    at: (t: number) => scope(() => noGrad(() => {
      const scaled = z.div(t);
      const loss = kind === 'multiclass' ? F.crossEntropy(scaled, y) : F.binaryCrossEntropyWithLogits(scaled, y);
      return loss.item();
    })),
    dispose: () => { z.dispose(); y.dispose(); },
  };
}

/** Fits T by golden-section search on log T (see above). */
export function fitTemperature(kind: TaskKind, logits: ArrayLike<number>, labels: ArrayLike<number>, width: number): TemperatureFit {
  const nll = nllOfTemperature(kind, logits, labels, width);
  try {
    const f = (u: number) => nll.at(Math.exp(u));
    let [a, b] = LOG_T_RANGE;
    let c = b - GOLDEN * (b - a);
    let d = a + GOLDEN * (b - a);
    let fc = f(c);
    let fd = f(d);
    while (b - a > TOLERANCE) {
      if (fc <= fd) {
        b = d; d = c; fd = fc;
        c = b - GOLDEN * (b - a); fc = f(c);
      } else {
        a = c; c = d; fc = fd;
        d = a + GOLDEN * (b - a); fd = f(d);
      }
    }
    const u = (a + b) / 2;
    const atBound = u - LOG_T_RANGE[0] < 1e-3 || LOG_T_RANGE[1] - u < 1e-3;
    const before = nll.at(1);
    const after = f(u);
    if (!Number.isFinite(after) || !Number.isFinite(before)) throw new Error('temperature scaling: the validation NLL is not finite (non-finite logits?)');
    return { temperature: Math.exp(u), nllBefore: before, nllAfter: after, atBound };
  } finally {
    nll.dispose();
  }
}

/** Probabilities of logits [n, width] at temperature T, in libtorch (sigmoid, or softmax over the outputs). */
export function temperedProbabilities(kind: TaskKind, logits: Float32Array, width: number, t: number): Float32Array {
  return scope(() => noGrad(() => {
    const z = tensor(logits, { shape: [logits.length / width, width] });
    const s = t === 1 ? z : z.div(t);
    return (kind === 'multiclass' ? F.softmax(s, 1) : s.sigmoid()).toFloat32Array();
  }));
}
