// Permute: ConvNeXt's block is Sequential(Conv, Permute, LayerNorm, Linear, GELU, Linear, Permute); as a module
// (not a function) it holds an index in the Sequential and so fixes the keys of the layers after it (block.3.weight).
import type { Tensor } from '../torch/index.js';
import { Module } from './module.js';

/** torchvision.ops.misc.Permute: x.permute(dims), a view. */
export class Permute extends Module {
  readonly dims: readonly number[];
  constructor(dims: readonly number[]) {
    super();
    this.dims = [...dims];
  }
  forward(x: Tensor): Tensor {
    return x.permute(...this.dims);
  }
}
