// GELU and Permute: the parameter-free modules of ConvNeXt's block (Conv, Permute, LayerNorm, Linear, GELU,
// Linear, Permute) and ViT's MLP. They are modules, not functions, because they hold an index in a Sequential
// and so fix the state_dict keys of the layers after them (`block.3.weight`, `mlp.3.weight`).
import { F, type Tensor } from '../torch/index.js';
import { Module } from './module.js';

/** torch.nn.GELU() (approximate='none'): x·Φ(x) with the exact normal CDF. */
export class GELU extends Module {
  forward(x: Tensor): Tensor {
    return F.gelu(x);
  }
}

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
