// An image classifier: a torchvision ResNet whose head is replaced, as the seed's PyTorch code does, by
// `model.fc = nn.Sequential(nn.Dropout(0.5), nn.Linear(F, K)[, nn.Sigmoid()])` (state_dict keys fc.1.weight
// and fc.1.bias). The seed's binary model is K = 1 with the Sigmoid; a multi-label model has K = C labels and
// the Sigmoid; a multi-class model has K = C and no activation module (softmax is applied for probabilities,
// as torchvision's classifiers leave it out). forward() always returns the Linear's logits, because training
// uses losses on logits (BCE-with-logits, cross-entropy): numerically stable and autocast-safe.
import { F, noGrad, type Tensor } from '../torch/index.js';
import { Dropout, Linear, Sequential, Sigmoid } from '../nn/index.js';
import { ResNet, checkArch, type ResNetArch } from './resnet.js';
import { runChain } from './chain.js';

/** How probabilities come from the logits: per output (sigmoid) or across the outputs (softmax). */
export type HeadActivation = 'sigmoid' | 'softmax';

export interface ImageClassifierOptions {
  arch?: ResNetArch;
  /** Dropout probability before the Linear layer (the seed: 0.5). */
  dropout?: number;
  /** Outputs of the Linear layer (default 1: the seed's binary head). */
  outputs?: number;
  /** Default 'sigmoid' (a Sigmoid module ends the head, as in the seed). */
  activation?: HeadActivation;
}

export type BinaryClassifierOptions = Omit<ImageClassifierOptions, 'outputs' | 'activation'>;

export class ImageClassifier extends ResNet {
  declare readonly fc: Sequential;
  readonly dropoutP: number;
  readonly outputs: number;
  readonly activation: HeadActivation;
  /**
   * The calibration temperature: probabilities are activation(logits / temperature). 1 (the default) skips the
   * division, so an uncalibrated model computes exactly what it did before calibration existed.
   */
  temperature = 1;

  constructor(o: ImageClassifierOptions = {}) {
    const p = o.dropout ?? 0.5;
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new Error(`dropout must be a number in [0, 1), got ${JSON.stringify(o.dropout)}`);
    const outputs = o.outputs ?? 1;
    if (!Number.isInteger(outputs) || outputs < 1) throw new Error(`outputs must be a positive integer, got ${JSON.stringify(o.outputs)}`);
    const activation = o.activation ?? 'sigmoid';
    if (activation !== 'sigmoid' && activation !== 'softmax') throw new Error(`activation must be 'sigmoid' or 'softmax', got ${JSON.stringify(activation)}`);
    super(checkArch(o.arch ?? 'resnet50'), {
      head: (inFeatures) => new Sequential(new Dropout(p), new Linear(inFeatures, outputs), ...(activation === 'sigmoid' ? [new Sigmoid()] : [])),
    });
    this.dropoutP = p;
    this.outputs = outputs;
    this.activation = activation;
  }

  /** The head's Linear layer (fc.1). */
  get classifier(): Linear {
    return this.fc.at<Linear>(1);
  }

  /** Dropout then Linear: the logits [N, K]. */
  protected override headLogits(features: Tensor): Tensor {
    return runChain(features, [this.fc.at(0), this.fc.at(1)]);
  }

  /** Logits [N, K] (the Linear output). */
  override forward(x: Tensor): Tensor {
    return super.forward(x);
  }

  /** The head's activation applied to logits [N, K] (divided by the temperature first when it is not 1). */
  probabilitiesOf(logits: Tensor, temperature = this.temperature): Tensor {
    if (temperature !== 1) {
      const scaled = logits.div(temperature);
      try {
        return this.activation === 'sigmoid' ? scaled.sigmoid() : F.softmax(scaled, 1);
      } finally {
        scaled.dispose();
      }
    }
    return this.activation === 'sigmoid' ? logits.sigmoid() : F.softmax(logits, 1);
  }

  /**
   * Probabilities [N, K]: the whole network in eval mode without gradients, as the seed's
   * `model.eval(); with torch.no_grad(): model(x)`. Each module's mode is restored afterwards.
   */
  predictProba(x: Tensor): Tensor {
    const modes = this.modules().map((m) => [m, m.training] as const);
    this.eval();
    try {
      return noGrad(() => {
        const logits = this.forward(x);
        const p = this.probabilitiesOf(logits);
        logits.dispose();
        return p;
      });
    } finally {
      for (const [m, on] of modes) m.training = on;
    }
  }

  /** predictProba as plain numbers, K per image (row-major). */
  probabilities(x: Tensor): Float32Array {
    const p = this.predictProba(x);
    try {
      return p.toFloat32Array();
    } finally {
      p.dispose();
    }
  }
}

/** The seed's model: one output, Sigmoid; predictProba gives the positive class's probability [N, 1]. */
export class BinaryClassifier extends ImageClassifier {
  constructor(o: BinaryClassifierOptions = {}) {
    super({ arch: o.arch, dropout: o.dropout, outputs: 1, activation: 'sigmoid' });
  }
}
