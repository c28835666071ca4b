// Dropout, as torch.nn.Dropout: in training, zeroes each element with probability p and scales the rest
// by 1/(1-p); in eval mode it is the identity.
import { F, type Tensor } from '../torch/index.js';
import { Module } from './module.js';

export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`Dropout: probability has to be between 0 and 1, but got ${p}`);
  }
  forward(x: Tensor): Tensor {
    return F.dropout(x, this.p, this.training);
  }
}
