// An image classifier: a torchvision network of any family of the zoo whose final Linear (the module at the
// family's headPath: `fc` for ResNet, `classifier.1` for EfficientNet, ...) is replaced, as the seed's PyTorch
// code does, by `nn.Sequential(nn.Dropout(0.5), nn.Linear(F, K)[, nn.Sigmoid()])` (state_dict keys e.g.
// fc.1.weight, classifier.1.1.weight). The seed's binary model is K = 1 with the Sigmoid; a multi-label model
// has K = C labels and the Sigmoid; a multi-class model has K = C and no activation module (softmax is applied
// for probabilities, as torchvision's classifiers leave it out). forward() always returns the Linear's logits,
// because training uses losses on logits (BCE-with-logits, cross-entropy): numerically stable and autocast-safe.
//
// The classifier holds the family's network (`net`) and registers the network's top-level modules as its own,
// under the same names, so that its state_dict keys are exactly torchvision's; those modules are also
// properties of the classifier (model.layer4, model.features), except where a name is the classifier's own.
import { F, noGrad, type Tensor } from '../torch/index.js';
import type { Linear, Module, Sequential } from '../nn/index.js';
import type { AdaptiveAvgPool2d, BatchNorm2d, Conv2d, MaxPool2d, ReLU } from '../nn/index.js';
import { StagedNet, type StageDef } from './staged.js';
import { TaskHead } from './head.js';
import { createNet } from './families.js';
import { checkAnyArch, type Arch } from './zoo.js';

/** How probabilities come from the logits: per output (sigmoid) or across the outputs (softmax). */
export type HeadActivation = 'sigmoid' | 'softmax';

export interface ImageClassifierOptions {
  arch?: Arch;
  /** Dropout probability before the Linear layer (the seed: 0.5). */
  dropout?: number;
  /** Outputs of the Linear layer (default 1: the seed's binary head). */
  outputs?: number;
  /** Default 'sigmoid' (a Sigmoid module ends the head, as in the seed). */
  activation?: HeadActivation;
  /** For a model whose weights are all loaded right after (NetOptions.skipInit). */
  skipInit?: boolean;
}

export type BinaryClassifierOptions = Omit<ImageClassifierOptions, 'outputs' | 'activation'>;

export class ImageClassifier extends StagedNet {
  /** The family's network; its modules are this classifier's. */
  readonly net: StagedNet;
  readonly arch: Arch;
  readonly numFeatures: number;
  readonly dropoutP: number;
  readonly outputs: number;
  readonly activation: HeadActivation;
  /**
   * The calibration temperature: probabilities are activation(logits / temperature). 1 (the default) skips the
   * division, so an uncalibrated model computes exactly what it did before calibration existed.
   */
  temperature = 1;
  // ResNet's modules, present when arch is a ResNet (other families' modules are there under their names too).
  declare readonly conv1: Conv2d;
  declare readonly bn1: BatchNorm2d;
  declare readonly relu: ReLU;
  declare readonly maxpool: MaxPool2d;
  declare readonly layer1: Sequential;
  declare readonly layer2: Sequential;
  declare readonly layer3: Sequential;
  declare readonly layer4: Sequential;
  declare readonly avgpool: AdaptiveAvgPool2d;
  declare readonly fc: Sequential;

  constructor(o: ImageClassifierOptions = {}) {
    super();
    const p = o.dropout ?? 0.5;
    if (typeof p !== 'number' || !(p >= 0 && p < 1)) throw new Error(`dropout must be a number in [0, 1), got ${JSON.stringify(o.dropout)}`);
    const outputs = o.outputs ?? 1;
    if (!Number.isInteger(outputs) || outputs < 1) throw new Error(`outputs must be a positive integer, got ${JSON.stringify(o.outputs)}`);
    const activation = o.activation ?? 'sigmoid';
    if (activation !== 'sigmoid' && activation !== 'softmax') throw new Error(`activation must be 'sigmoid' or 'softmax', got ${JSON.stringify(activation)}`);
    this.arch = checkAnyArch(o.arch ?? 'resnet50');
    this.net = createNet(this.arch, { head: (inFeatures) => new TaskHead(p, inFeatures, outputs, activation === 'sigmoid'), skipInit: o.skipInit });
    this.numFeatures = this.net.numFeatures;
    this.dropoutP = p;
    this.outputs = outputs;
    this.activation = activation;
    // The network's own parameters (ViT's class_token) are the classifier's too, under the same names.
    for (const [name, t] of this.net.namedParameters()) if (!name.includes('.')) this.registerParameter(name, t);
    for (const [name, child] of this.net.namedChildren()) {
      this.registerModule(name, child);
      if (!(name in this)) Object.defineProperty(this, name, { value: child, enumerable: true });
    }
  }

  get stageDefs(): readonly StageDef[] {
    return this.net.stageDefs;
  }
  runStage(stage: string, x: Tensor): Tensor {
    return this.net.runStage(stage, x);
  }
  get headModule(): TaskHead {
    return this.net.headModule as TaskHead;
  }

  /** The training flag of the network's own object follows the classifier's (its modules are shared). */
  override train(on = true): this {
    super.train(on);
    this.net.training = on;
    return this;
  }

  /** The head's Linear layer (<headPath>.1). */
  get classifier(): Linear {
    return this.headModule.at<Linear>(1);
  }

  /** The features the head takes ([N, numFeatures]): every stage but the last. */
  features(x: Tensor): Tensor {
    const names = this.stages;
    return this.forwardStages(x, names[0], names[names.length - 2]);
  }

  /** Logits [N, K] (the Linear output). */
  override forward(x: Tensor): Tensor {
    return this.forwardStages(x);
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
    const modes: (readonly [Module, boolean])[] = [this as Module, this.net, ...this.modules()].map((m) => [m, m.training] as const);
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
