// Squeeze-and-excitation, as torchvision.ops.SqueezeExcitation: the channels' global average (avgpool), two
// 1x1 convolutions (fc1, fc2) with `activation` between them and `scaleActivation` after, and the input
// scaled by the result per channel. EfficientNet: SiLU / Sigmoid; MobileNetV3: ReLU / Hardsigmoid.
import type { Tensor } from '../torch/index.js';
import { Conv2d } from './conv.js';
import { AdaptiveAvgPool2d } from './pooling.js';
import { Module } from './module.js';

export class SqueezeExcitation extends Module {
  readonly avgpool: AdaptiveAvgPool2d;
  readonly fc1: Conv2d;
  readonly fc2: Conv2d;
  readonly activation: Module;
  readonly scaleActivation: Module;

  constructor(inputChannels: number, squeezeChannels: number, activation: Module, scaleActivation: Module) {
    super();
    // torchvision's registration order (avgpool, fc1, fc2, activation, scale_activation): the same keys and draws.
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d(1));
    this.fc1 = this.registerModule('fc1', new Conv2d(inputChannels, squeezeChannels, 1));
    this.fc2 = this.registerModule('fc2', new Conv2d(squeezeChannels, inputChannels, 1));
    this.activation = this.registerModule('activation', activation);
    this.scaleActivation = this.registerModule('scale_activation', scaleActivation);
  }

  /** The per-channel scale [N, C, 1, 1]. */
  scale(x: Tensor): Tensor {
    const pooled = this.avgpool.forward(x);
    const a = this.fc1.forward(pooled);
    pooled.dispose();
    const b = this.activation.forward(a);
    a.dispose();
    const c = this.fc2.forward(b);
    b.dispose();
    const s = this.scaleActivation.forward(c);
    c.dispose();
    return s;
  }

  forward(x: Tensor): Tensor {
    const s = this.scale(x);
    const y = s.mul(x);
    s.dispose();
    return y;
  }
}
