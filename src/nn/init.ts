// Weight initialisation, as torch.nn.init: in place, without recording gradients, from libtorch's generator
// (so that manualSeed(s) followed by the same calls gives the same numbers as torch.manual_seed(s) on CPU).
import { type Tensor, noGrad } from '../torch/index.js';

export type Nonlinearity = 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';
export type FanMode = 'fan_in' | 'fan_out';
export interface KaimingOptions {
  /** Negative slope of the leaky ReLU after this layer (only for 'leaky_relu'). Default 0. */
  a?: number;
  mode?: FanMode;
  nonlinearity?: Nonlinearity;
}

/** [fan_in, fan_out] of a weight: input/output feature maps times the receptive field size. */
export function calculateFanInAndFanOut(t: Tensor): [number, number] {
  const shape = t.shape;
  if (shape.length < 2) throw new Error(`init: fan in and fan out need a tensor of 2 or more dimensions, got shape [${shape}]`);
  const receptive = shape.slice(2).reduce((a, b) => a * b, 1);
  return [shape[1] * receptive, shape[0] * receptive];
}

/** The recommended gain for a nonlinearity (torch.nn.init.calculate_gain). */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'conv1d': case 'conv2d': case 'conv3d': case 'sigmoid': return 1;
    case 'tanh': return 5 / 3;
    case 'relu': return Math.sqrt(2);
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      return Math.sqrt(2 / (1 + slope ** 2));
    }
    case 'selu': return 3 / 4;
    default: throw new Error(`init: unsupported nonlinearity '${nonlinearity as string}'`);
  }
}

function fan(t: Tensor, mode: FanMode): number {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  if (mode === 'fan_in') return fanIn;
  if (mode === 'fan_out') return fanOut;
  throw new Error(`init: mode must be 'fan_in' or 'fan_out', got '${mode as string}'`);
}

export const uniform_ = (t: Tensor, a = 0, b = 1): Tensor => noGrad(() => t.uniform_(a, b));
export const normal_ = (t: Tensor, mean = 0, std = 1): Tensor => noGrad(() => t.normal_(mean, std));
export const constant_ = (t: Tensor, v: number): Tensor => noGrad(() => t.fill_(v));
export const zeros_ = (t: Tensor): Tensor => noGrad(() => t.zero_());
export const ones_ = (t: Tensor): Tensor => noGrad(() => t.fill_(1));

/** He uniform: U(-b, b) with b = gain·√(3 / fan). Default nonlinearity leaky_relu, as torch. */
export function kaimingUniform_(t: Tensor, o: KaimingOptions = {}): Tensor {
  const f = fan(t, o.mode ?? 'fan_in');
  if (f === 0) return t; // torch warns and leaves a zero-element tensor as it is
  const std = calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(f);
  const bound = Math.sqrt(3) * std;
  return uniform_(t, -bound, bound);
}

/** He normal: N(0, gain² / fan). torchvision's ResNet uses mode 'fan_out', nonlinearity 'relu'. */
export function kaimingNormal_(t: Tensor, o: KaimingOptions = {}): Tensor {
  const f = fan(t, o.mode ?? 'fan_in');
  if (f === 0) return t;
  const std = calculateGain(o.nonlinearity ?? 'leaky_relu', o.a ?? 0) / Math.sqrt(f);
  return normal_(t, 0, std);
}

/** Glorot uniform: U(-b, b) with b = gain·√(6 / (fan_in + fan_out)). */
export function xavierUniform_(t: Tensor, gain = 1): Tensor {
  const [fanIn, fanOut] = calculateFanInAndFanOut(t);
  const std = gain * Math.sqrt(2 / (fanIn + fanOut));
  return uniform_(t, -Math.sqrt(3) * std, Math.sqrt(3) * std);
}

/**
 * Normal N(mean, std²) truncated to [a, b], as torch.nn.init.trunc_normal_: uniform numbers on the truncated
 * CDF's range mapped through erfinv, the same calls in the same order (so seeded draws equal torch's).
 */
export function truncNormal_(t: Tensor, o: { mean?: number; std?: number; a?: number; b?: number } = {}): Tensor {
  const mean = o.mean ?? 0;
  const std = o.std ?? 1;
  const a = o.a ?? -2;
  const b = o.b ?? 2;
  const normCdf = (x: number): number => (1 + erf(x / Math.SQRT2)) / 2;
  const l = normCdf((a - mean) / std);
  const u = normCdf((b - mean) / std);
  return noGrad(() => t.uniform_(2 * l - 1, 2 * u - 1).erfinv_().mul_(std * Math.SQRT2).add_(mean).clamp_(a, b));
}

/** The error function for truncNormal_'s bounds (JS has none): the Maclaurin series below 2.5, erfc's continued
 *  fraction above, within ~1e-13 of Python's math.erf. torchvision's calls (std ≪ 2) saturate to exactly ±1. */
function erf(x: number): number {
  const ax = Math.abs(x);
  if (ax < 2.5) {
    // Maclaurin series: erf(x) = 2/√π Σ (-1)^n x^(2n+1) / (n! (2n+1)).
    let sum = 0;
    let term = ax;
    for (let n = 0; n < 200; n++) {
      const add = term / (2 * n + 1);
      sum += add;
      if (Math.abs(add) < 1e-17 * Math.abs(sum)) break;
      term *= -(ax * ax) / (n + 1);
    }
    const r = (2 / Math.sqrt(Math.PI)) * sum;
    return x < 0 ? -r : r;
  }
  // erfc(x) = exp(-x²)/√π · 1/(x + 1/2/(x + 1/(x + 3/2/(x + 2/(x + ...))))) (Lentz).
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + (k / 2) / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return x < 0 ? erfc - 1 : 1 - erfc;
}
