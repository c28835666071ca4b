// Stochastic depth, as torchvision.ops.StochasticDepth: in training, drops a residual branch for a whole sample
// ('row') or the whole batch ('batch') with probability p and scales the kept ones by 1/(1-p), drawing the
// noise with torch's own call (empty(size).bernoulli_(1 - p)), so the same seed drops the same rows; in eval
// mode (or p = 0) it is the identity, returning its input.
import { empty, type Tensor } from '../torch/index.js';
import { Module } from './module.js';

export class StochasticDepth extends Module {
  constructor(readonly p: number, readonly mode: 'row' | 'batch' = 'row') {
    super();
    if (!(p >= 0 && p <= 1)) throw new Error(`StochasticDepth: drop probability has to be between 0 and 1, but got ${p}`);
    if (mode !== 'row' && mode !== 'batch') throw new Error(`StochasticDepth: mode has to be either 'batch' or 'row', but got ${mode}`);
  }

  forward(x: Tensor): Tensor {
    if (!this.training || this.p === 0) return x;
    const survival = 1 - this.p;
    const size = this.mode === 'row' ? [x.size(0), ...Array(x.ndim - 1).fill(1)] : Array(x.ndim).fill(1);
    const noise = empty(size, { dtype: x.dtype, device: x.device }).bernoulli_(survival);
    if (survival > 0) noise.div_(survival);
    const y = x.mul(noise);
    noise.dispose();
    return y;
  }
}
