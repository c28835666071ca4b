// Parts shared by torchvision's mobile convnets (EfficientNet, MobileNetV3): Conv2dNormActivation (conv without
// bias when a norm follows, "same" padding), _make_divisible, and their common initialisation loop.
import type { Tensor } from '../torch/index.js';
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
  override forward(x: Tensor): Tensor {
    return runChain(x, [...this]);
  }
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
