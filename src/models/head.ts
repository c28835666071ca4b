// The task's head, as the seed's PyTorch code builds it: Sequential(Dropout(p), Linear(F, K)[, Sigmoid()])
// (state_dict keys <headPath>.1.weight, <headPath>.1.bias). forward() gives the Linear's logits, without the
// Sigmoid: training uses losses on logits (BCE-with-logits, cross-entropy), numerically stable and
// autocast-safe; the activation is applied for probabilities (ImageClassifier.probabilitiesOf) and exports.
import type { Tensor } from '../torch/index.js';
import { Dropout, Linear, Sequential, Sigmoid } from '../nn/index.js';
import { runChain } from './chain.js';

export class TaskHead extends Sequential {
  constructor(p: number, inFeatures: number, outputs: number, sigmoid: boolean) {
    super(new Dropout(p), new Linear(inFeatures, outputs), ...(sigmoid ? [new Sigmoid()] : []));
  }
  /** Dropout then Linear: the logits [N, K]. */
  override forward(x: Tensor): Tensor {
    return runChain(x, [this.at(0), this.at(1)]);
  }
}
