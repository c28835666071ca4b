// Parameter-free elementwise layers: ReLU, Sigmoid, Identity; SiLU, Hardswish, Hardsigmoid (the backbone zoo).
import { F, type Tensor } from '../torch/index.js';
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

/** x·sigmoid(x), torch.nn.SiLU (torchvision builds it with inplace=True: the same values). */
export class SiLU extends Module {
  forward(x: Tensor): Tensor {
    return F.silu(x);
  }
}

/** torch.nn.Hardswish. */
export class Hardswish extends Module {
  forward(x: Tensor): Tensor {
    return F.hardswish(x);
  }
}

/** torch.nn.Hardsigmoid. */
export class Hardsigmoid extends Module {
  forward(x: Tensor): Tensor {
    return F.hardsigmoid(x);
  }
}

/** torch.nn.GELU (approximate='none'). */
export class GELU extends Module {
  forward(x: Tensor): Tensor {
    return F.gelu(x);
  }
}
