// Parts shared by torchvision's mobile convnets (EfficientNet, MobileNetV3, RegNet): Conv2dNormActivation (conv
// without bias when a norm follows, "same" padding; an eval-mode norm folded into the conv where no gradient
// flows), _make_divisible, and their common initialisation loop.
import { isGradEnabled, type Tensor } from '../torch/index.js';
import { BatchNorm2d, Conv2d, Linear, Sequential, init, type Module } from '../nn/index.js';
import { runChain } from './chain.js';

/** torchvision.ops.Conv2dNormActivation: Conv2d, norm, activation (each optional but the conv), as a Sequential. */
export class Conv2dNormActivation extends Sequential {
  constructor(inC: number, outC: number, kernel: number, o: { stride?: number; groups?: number; norm?: (c: number) => Module; activation?: () => Module } = {}) {
    const layers: Module[] = [new Conv2d(inC, outC, kernel, { stride: o.stride ?? 1, padding: (kernel - 1) >> 1, groups: o.groups ?? 1, bias: !o.norm })];
    if (o.norm) layers.push(o.norm(outC));
    if (o.activation) layers.push(o.activation());
    super(...layers);
  }
  /**
   * With the norm in eval mode and no gradient to compute here (evaluation, prediction, a frozen block in
   * training), the convolution and the norm run as one convolution that carries the norm: a pass over the
   * activations less (mobilenet_v3_small's eval forward 10 % faster). Where gradients flow, the two ops run,
   * as in torchvision.
   */
  override forward(x: Tensor): Tensor {
    const [conv, norm, ...rest] = this;
    const stats = conv instanceof Conv2d && norm instanceof BatchNorm2d && !needsGradient(x, conv, norm) ? norm.evalStatistics() : undefined;
    if (stats) return runChain(x, [(t: Tensor) => (conv as Conv2d).forwardWithNorm(t, stats), ...rest]);
    return runChain(x, [...this]);
  }
}

/** Whether autograd needs these layers' own ops: gradients are on and flow to the input or a parameter. */
function needsGradient(x: Tensor, ...layers: Module[]): boolean {
  return isGradEnabled() && (x.requiresGrad || layers.some((l) => l.parameters().some((p) => p.requiresGrad)));
}

/** torchvision's _make_divisible (from the TF repo): the nearest multiple of `divisor`, not below 90 % of v. */
export function makeDivisible(v: number, divisor = 8, minValue = divisor): number {
  let n = Math.max(minValue, Math.floor((v + divisor / 2) / divisor) * divisor);
  if (n < 0.9 * v) n += divisor;
  return n;
}

/**
 * The initialisation loop of torchvision's EfficientNet and MobileNetV3 over `modules` (in registration order):
 * convolutions kaiming_normal_ fan_out (bias 0), norms 1 / 0, Linear by `linear` (bias 0).
 */
export function initConvnet(modules: Iterable<Module>, linear: (l: Linear) => void): void {
  for (const m of modules) {
    if (m instanceof Conv2d) {
      init.kaimingNormal_(m.weight, { mode: 'fan_out' });
      if (m.bias) init.zeros_(m.bias);
    } else if (m instanceof BatchNorm2d) {
      if (m.weight) init.ones_(m.weight);
      if (m.bias) init.zeros_(m.bias);
    } else if (m instanceof Linear) {
      linear(m);
      if (m.bias) init.zeros_(m.bias);
    }
  }
}
