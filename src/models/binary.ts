// The seed's binary classifier: a torchvision ResNet whose head is replaced, as the seed's PyTorch code does,
// by `model.fc = nn.Sequential(nn.Dropout(0.5), nn.Linear(2048, 1), nn.Sigmoid())` (state_dict keys
// fc.1.weight and fc.1.bias). forward() stops before the Sigmoid and returns logits, because training uses
// BCE-with-logits (the same loss as Sigmoid + BCELoss, numerically stable and autocast-safe); the Sigmoid is
// applied by predictProba and kept in the module tree so that exported checkpoints have the seed's layout.
import { noGrad, type Tensor } from '../torch/index.js';
import { Dropout, Linear, Sequential, Sigmoid } from '../nn/index.js';
import { ResNet, checkArch, type ResNetArch } from './resnet.js';
import { runChain } from './chain.js';

export interface BinaryClassifierOptions {
  arch?: ResNetArch;
  /** Dropout probability before the Linear layer (the seed: 0.5). */
  dropout?: number;
}

export class BinaryClassifier extends ResNet {
  declare readonly fc: Sequential;
  readonly dropoutP: number;

  constructor(o: BinaryClassifierOptions = {}) {
    const p = o.dropout ?? 0.5;
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new Error(`dropout must be a number in [0, 1), got ${JSON.stringify(o.dropout)}`);
    super(checkArch(o.arch ?? 'resnet50'), {
      head: (inFeatures) => new Sequential(new Dropout(p), new Linear(inFeatures, 1), new Sigmoid()),
    });
    this.dropoutP = p;
  }

  /** The head's Linear layer (fc.1). */
  get classifier(): Linear {
    return this.fc.at<Linear>(1);
  }

  /** Dropout then Linear: the logits [N, 1]. */
  protected override headLogits(features: Tensor): Tensor {
    return runChain(features, [this.fc.at(0), this.fc.at(1)]);
  }

  /** Logits [N, 1] (the Linear output; apply sigmoid for probabilities). */
  override forward(x: Tensor): Tensor {
    return super.forward(x);
  }

  /**
   * Probabilities of the positive class, [N, 1]: the whole network in eval mode without gradients, as the
   * seed's `model.eval(); with torch.no_grad(): model(x)`. Each module's mode is restored afterwards.
   */
  predictProba(x: Tensor): Tensor {
    const modes = this.modules().map((m) => [m, m.training] as const);
    this.eval();
    try {
      return noGrad(() => {
        const logits = this.forward(x);
        const p = logits.sigmoid();
        logits.dispose();
        return p;
      });
    } finally {
      for (const [m, on] of modes) m.training = on;
    }
  }

  /** predictProba as plain numbers, one per image. */
  probabilities(x: Tensor): Float32Array {
    const p = this.predictProba(x);
    try {
      return p.toFloat32Array();
    } finally {
      p.dispose();
    }
  }
}
