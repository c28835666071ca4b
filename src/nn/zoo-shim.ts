// TEMPORARY stand-ins with the API of branch i21-zoo's LayerNorm / SqueezeExcitation / StochasticDepth (layernorm.ts,
// squeeze-excitation.ts, stochastic-depth.ts, not merged yet), so that ConvNeXt / RegNet / ViT compile and their parity
// tests run. Deleted when that branch's ops are merged.
import { F, empty, ones, zeros, type Tensor } from '../torch/index.js';
import { Module } from './module.js';
import { Conv2d } from './conv.js';
import { AdaptiveAvgPool2d } from './pooling.js';

export class LayerNorm extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor;
  readonly eps: number;
  readonly normalizedShape: number[];
  constructor(normalizedShape: number | number[], eps = 1e-5) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : normalizedShape;
    this.eps = eps;
    this.weight = this.registerParameter('weight', ones(this.normalizedShape));
    this.bias = this.registerParameter('bias', zeros(this.normalizedShape));
  }
  forward(x: Tensor): Tensor {
    const dims = this.normalizedShape.map((_, i) => -1 - i);
    const mean = x.mean(dims, true);
    const c = x.sub(mean);
    const v = c.mul(c).mean(dims, true);
    const y = c.mul(v.add(this.eps).rsqrt());
    return y.mul(this.weight).add(this.bias);
  }
}

export class SqueezeExcitation extends Module {
  readonly avgpool: AdaptiveAvgPool2d;
  readonly fc1: Conv2d;
  readonly fc2: Conv2d;
  readonly activation: Module;
  readonly scaleActivation: Module;
  constructor(inputChannels: number, squeezeChannels: number, activation: Module, scaleActivation: Module) {
    super();
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d(1));
    this.fc1 = this.registerModule('fc1', new Conv2d(inputChannels, squeezeChannels, 1));
    this.fc2 = this.registerModule('fc2', new Conv2d(squeezeChannels, inputChannels, 1));
    this.activation = this.registerModule('activation', activation);
    this.scaleActivation = this.registerModule('scale_activation', scaleActivation);
  }
  forward(x: Tensor): Tensor {
    const s = this.scaleActivation.forward(this.fc2.forward(this.activation.forward(this.fc1.forward(this.avgpool.forward(x)))));
    return s.mul(x);
  }
}

export class StochasticDepth extends Module {
  constructor(readonly p: number, readonly mode: 'row' | 'batch') {
    super();
  }
  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    const survival = 1 - this.p;
    const size = this.mode === 'row' ? [x.size(0), ...Array(x.ndim - 1).fill(1)] : Array(x.ndim).fill(1);
    const noise = empty(size).bernoulli_(survival);
    if (survival > 0) noise.div_(survival);
    return x.mul(noise);
  }
}
void F;
