// Conv2d, as torch.nn.Conv2d: weight [out, in/groups, kh, kw] and bias [out], initialised like torch
// (kaiming_uniform_ with a=√5, i.e. U(±1/√fan_in), and bias U(±1/√fan_in)).
import { empty, F, type Tensor } from '../torch/index.js';
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from './init.js';
import { Module } from './module.js';

type Pair = number | [number, number];
const pair = (v: Pair): [number, number] => (typeof v === 'number' ? [v, v] : [v[0], v[1]]);

export interface Conv2dOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  bias?: boolean;
}

export class Conv2d extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | undefined;
  readonly kernelSize: [number, number];
  readonly stride: [number, number];
  readonly padding: [number, number];
  readonly dilation: [number, number];
  readonly groups: number;

  constructor(readonly inChannels: number, readonly outChannels: number, kernelSize: Pair, o: Conv2dOptions = {}) {
    super();
    this.kernelSize = pair(kernelSize);
    this.stride = pair(o.stride ?? 1);
    this.padding = pair(o.padding ?? 0);
    this.dilation = pair(o.dilation ?? 1);
    this.groups = o.groups ?? 1;
    const positive = [inChannels, outChannels, this.groups, ...this.kernelSize, ...this.stride, ...this.dilation];
    if (!positive.every((v) => Number.isInteger(v) && v > 0) || !this.padding.every((v) => Number.isInteger(v) && v >= 0)) {
      throw new Error(`Conv2d(${inChannels}, ${outChannels}, ${kernelSize}): sizes must be positive integers (padding ≥ 0)`);
    }
    if (inChannels % this.groups || outChannels % this.groups) {
      throw new Error(`Conv2d: in_channels ${inChannels} and out_channels ${outChannels} must be divisible by groups ${this.groups}`);
    }
    const w = kaimingUniform_(empty([outChannels, inChannels / this.groups, ...this.kernelSize]), { a: Math.sqrt(5) });
    this.weight = this.registerParameter('weight', w);
    let b: Tensor | undefined;
    if (o.bias ?? true) {
      const [fanIn] = calculateFanInAndFanOut(w);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      b = uniform_(empty([outChannels]), -bound, bound);
    }
    this.bias = this.registerParameter('bias', b);
  }

  forward(x: Tensor): Tensor {
    return F.conv2d(x, this.weight, this.bias, this.options());
  }

  /** This convolution with other weights of the same shapes (e.g. with a BatchNorm folded in). */
  forwardWithWeights(x: Tensor, weight: Tensor, bias: Tensor | undefined): Tensor {
    return F.conv2d(x, weight, bias, this.options());
  }

  private options(): F.Conv2dOptions {
    return { stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups };
  }
}
