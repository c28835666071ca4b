// Linear, as torch.nn.Linear: y = x·Wᵀ + b, W [out, in] ~ U(±1/√in) (kaiming_uniform_ a=√5), b ~ U(±1/√in).
import { empty, F, type Tensor } from '../torch/index.js';
import { calculateFanInAndFanOut, kaimingUniform_, uniform_ } from './init.js';
import { Module } from './module.js';

export class Linear extends Module {
  readonly weight: Tensor;
  readonly bias: Tensor | undefined;

  constructor(readonly inFeatures: number, readonly outFeatures: number, o: { bias?: boolean } = {}) {
    super();
    if (![inFeatures, outFeatures].every((v) => Number.isInteger(v) && v >= 0)) {
      throw new Error(`Linear(${inFeatures}, ${outFeatures}): sizes must be non-negative integers`);
    }
    const w = kaimingUniform_(empty([outFeatures, inFeatures]), { a: Math.sqrt(5) });
    this.weight = this.registerParameter('weight', w);
    let b: Tensor | undefined;
    if (o.bias ?? true) {
      const [fanIn] = calculateFanInAndFanOut(w);
      const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
      b = uniform_(empty([outFeatures]), -bound, bound);
    }
    this.bias = this.registerParameter('bias', b);
  }

  forward(x: Tensor): Tensor {
    return F.linear(x, this.weight, this.bias);
  }
}
