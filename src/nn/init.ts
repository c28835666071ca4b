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
