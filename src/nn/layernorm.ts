// LayerNorm, as torch.nn.LayerNorm: normalises over the trailing `normalizedShape` dimensions, then scales by
// weight (ones) and shifts by bias (zeros) when elementwise_affine (the default).
import { F, ones, zeros, type Tensor } from '../torch/index.js';
import { Module } from './module.js';

export class LayerNorm extends Module {
  readonly normalizedShape: number[];
  readonly weight: Tensor | undefined;
  readonly bias: Tensor | undefined;

  constructor(normalizedShape: number | readonly number[], readonly eps = 1e-5, elementwiseAffine = true) {
    super();
    this.normalizedShape = typeof normalizedShape === 'number' ? [normalizedShape] : [...normalizedShape];
    if (!this.normalizedShape.every((v) => Number.isInteger(v) && v > 0)) {
      throw new Error(`LayerNorm(${JSON.stringify(normalizedShape)}): the normalised shape must be positive integers`);
    }
    this.weight = this.registerParameter('weight', elementwiseAffine ? ones(this.normalizedShape) : undefined);
    this.bias = this.registerParameter('bias', elementwiseAffine ? zeros(this.normalizedShape) : undefined);
  }

  forward(x: Tensor): Tensor {
    return F.layerNorm(x, this.normalizedShape, this.weight, this.bias, this.eps);
  }
}
