// Pooling and reshaping layers: MaxPool2d, AdaptiveAvgPool2d, Flatten.
import { F, type Tensor } from '../torch/index.js';
import { Module } from './module.js';

type Pair = number | [number, number];

export interface MaxPool2dOptions {
  /** Defaults to the kernel size, as in torch. */
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  ceilMode?: boolean;
}

export class MaxPool2d extends Module {
  constructor(readonly kernelSize: Pair, readonly options: MaxPool2dOptions = {}) {
    super();
  }
  forward(x: Tensor): Tensor {
    const o = this.options;
    return F.maxPool2d(x, this.kernelSize, o.stride ?? this.kernelSize, o.padding ?? 0, o.dilation ?? 1, o.ceilMode ?? false);
  }
}

/** Average pooling to a fixed output size (1 gives global average pooling). */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: Pair) {
    super();
  }
  forward(x: Tensor): Tensor {
    return F.adaptiveAvgPool2d(x, this.outputSize);
  }
}

/** Flattens dimensions startDim..endDim (default: all but the batch dimension). */
export class Flatten extends Module {
  constructor(readonly startDim = 1, readonly endDim = -1) {
    super();
  }
  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
}
