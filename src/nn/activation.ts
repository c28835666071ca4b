// Parameter-free elementwise layers: ReLU, Sigmoid, Identity.
import type { Tensor } from '../torch/index.js';
import { Module } from './module.js';

export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return x.relu();
  }
}

export class Sigmoid extends Module {
  forward(x: Tensor): Tensor {
    return x.sigmoid();
  }
}

/** Returns its input (a placeholder, e.g. for a removed head). The same tensor comes back, as in torch. */
export class Identity extends Module {
  forward(x: Tensor): Tensor {
    return x;
  }
}
