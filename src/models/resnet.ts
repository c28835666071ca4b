// ResNet as torchvision 0.14's models/resnet.py: the same modules, registered in the same order (so
// state_dict keys, order and shapes are identical), the same initialisation (kaiming_normal_ fan_out/relu for
// convolutions, BatchNorm weight 1 bias 0, Linear's default) drawn in the same order (so that after
// manualSeed(s) the weights equal those of torch.manual_seed(s); torchvision.models.resnetXX()), and the same
// outputs. The network is also a list of named stages, so that a trainer can run a frozen prefix once and
// cache its output (forwardStages).
import type { Tensor } from '../torch/index.js';
import {
  AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Linear, MaxPool2d, type Module, ReLU, Sequential, init,
} from '../nn/index.js';
import { StagedNet, type StageDef } from './staged.js';
import { BLOCKS, type Bottleneck, type BasicBlock, conv1x1, reluInPlace, type BlockKind } from './blocks.js';
import { runChain } from './chain.js';

export { ARCHS, RESNET_ARCHS, checkArch, isResNetArch, type ArchSpec, type ResNetArch } from './archs.js';
import { ARCHS, checkArch, type ResNetArch } from './archs.js';

/** Width of the pooled features (fc's input): 512 for resnet18/34, 2048 for resnet50/101/152. */
export const featureWidth = (arch: ResNetArch): number => 512 * BLOCKS[ARCHS[arch].block].expansion;

/** The network's stages in order: 'stem' = conv1, bn1, relu, maxpool; 'pool' = avgpool + flatten. */
export const RESNET_STAGES = ['stem', 'layer1', 'layer2', 'layer3', 'layer4', 'pool', 'fc'] as const;
export type ResNetStage = (typeof RESNET_STAGES)[number];

export function isResNetStage(x: unknown): x is ResNetStage {
  return typeof x === 'string' && (RESNET_STAGES as readonly string[]).includes(x);
}

/** The stage a parameter or buffer name belongs to ('layer3.1.conv2.weight' → 'layer3'). */
export function stageOf(name: string): ResNetStage {
  const top = name.split('.')[0];
  if (top === 'conv1' || top === 'bn1' || top === 'relu' || top === 'maxpool') return 'stem';
  if (top === 'avgpool') return 'pool';
  if (isResNetStage(top)) return top;
  throw new Error(`'${name}' is not the name of a ResNet parameter or buffer`);
}

export interface ResNetOptions {
  /** Outputs of the default Linear head (torchvision: 1000). */
  numClasses?: number;
  /**
   * Builds a replacement head from the feature width, as `model.fc = head` right after construction:
   * the default Linear is still built and initialised first (then freed), so the random numbers drawn
   * match the PyTorch code that replaces the head of a torchvision model.
   */
  head?: (inFeatures: number) => Module;
}

const RESNET_STAGE_DEFS: readonly StageDef[] = Object.freeze(RESNET_STAGES.map((name) => ({
  name, prefixes: name === 'stem' ? ['conv1', 'bn1', 'relu', 'maxpool'] : name === 'pool' ? ['avgpool'] : [name],
})));

export class ResNet extends StagedNet {
  readonly arch: ResNetArch;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly relu: ReLU;
  readonly maxpool: MaxPool2d;
  readonly layer1: Sequential;
  readonly layer2: Sequential;
  readonly layer3: Sequential;
  readonly layer4: Sequential;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly fc: Module;
  /** fc's input width. */
  readonly numFeatures: number;
  #inPlanes = 64;

  constructor(arch: ResNetArch, o: ResNetOptions = {}) {
    super();
    this.arch = checkArch(arch);
    const spec = ARCHS[arch];
    const numClasses = o.numClasses ?? 1000;
    if (!Number.isInteger(numClasses) || numClasses < 1) throw new Error(`${arch}: numClasses must be a positive integer, got ${numClasses}`);
    this.conv1 = this.registerModule('conv1', new Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false }));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(64));
    this.relu = this.registerModule('relu', new ReLU());
    this.maxpool = this.registerModule('maxpool', new MaxPool2d(3, { stride: 2, padding: 1 }));
    this.layer1 = this.registerModule('layer1', this.#makeLayer(spec.block, 64, spec.layers[0], 1));
    this.layer2 = this.registerModule('layer2', this.#makeLayer(spec.block, 128, spec.layers[1], 2));
    this.layer3 = this.registerModule('layer3', this.#makeLayer(spec.block, 256, spec.layers[2], 2));
    this.layer4 = this.registerModule('layer4', this.#makeLayer(spec.block, 512, spec.layers[3], 2));
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d(1));
    this.numFeatures = featureWidth(arch);
    const linear = new Linear(this.numFeatures, numClasses);
    // torchvision's init loop, over modules in registration order (fc is not touched: Linear keeps its default).
    for (const m of this.modules()) {
      if (m instanceof Conv2d) init.kaimingNormal_(m.weight, { mode: 'fan_out', nonlinearity: 'relu' });
      else if (m instanceof BatchNorm2d) {
        if (m.weight) init.ones_(m.weight);
        if (m.bias) init.zeros_(m.bias);
      }
    }
    if (o.head) {
      const head = o.head(this.numFeatures);
      linear.dispose();
      this.fc = this.registerModule('fc', head);
    } else {
      this.fc = this.registerModule('fc', linear);
    }
  }

  #makeLayer(kind: BlockKind, planes: number, blocks: number, stride: number): Sequential {
    const Block = BLOCKS[kind];
    const outPlanes = planes * Block.expansion;
    let downsample: Sequential | undefined;
    if (stride !== 1 || this.#inPlanes !== outPlanes) {
      downsample = new Sequential(conv1x1(this.#inPlanes, outPlanes, stride), new BatchNorm2d(outPlanes));
    }
    const layers: (BasicBlock | Bottleneck)[] = [new Block(this.#inPlanes, planes, stride, downsample)];
    this.#inPlanes = outPlanes;
    for (let i = 1; i < blocks; i++) layers.push(new Block(this.#inPlanes, planes));
    return new Sequential(...layers);
  }

  get stageDefs(): readonly StageDef[] {
    return RESNET_STAGE_DEFS;
  }

  get headModule(): Module {
    return this.fc;
  }

  /** The pooled, flattened features ([N, numFeatures]): everything before fc. */
  features(x: Tensor): Tensor {
    return this.forwardStages(x, 'stem', 'pool');
  }

  override forwardStages(x: Tensor, from: ResNetStage = 'stem', to: ResNetStage = 'fc'): Tensor {
    return super.forwardStages(x, from, to);
  }

  /** One stage on its input. */
  runStage(stage: string, x: Tensor): Tensor {
    switch (stage as ResNetStage) {
      case 'stem':
        this.checkImages(x);
        return runChain(x, [this.conv1, this.bn1, reluInPlace, this.maxpool]);
      case 'layer1': case 'layer2': case 'layer3': case 'layer4':
        return runChain(x, this[stage as 'layer1' | 'layer2' | 'layer3' | 'layer4']);
      case 'pool':
        return runChain(x, [this.avgpool, (t: Tensor) => t.flatten(1)]);
      case 'fc':
        return this.headLogits(x);
    }
    throw new Error(`${this.arch}: unknown stage ${JSON.stringify(stage)}; stages are ${RESNET_STAGES.join(', ')}`);
  }

  /** The head applied to pooled features; subclasses whose head ends in an activation return its input. */
  protected headLogits(features: Tensor): Tensor {
    return this.fc.forward(features);
  }

  override firstTrainableStage(): ResNetStage | undefined {
    return super.firstTrainableStage() as ResNetStage | undefined;
  }
}

export const resnet18 = (o: ResNetOptions = {}): ResNet => new ResNet('resnet18', o);
export const resnet34 = (o: ResNetOptions = {}): ResNet => new ResNet('resnet34', o);
export const resnet50 = (o: ResNetOptions = {}): ResNet => new ResNet('resnet50', o);
export const resnet101 = (o: ResNetOptions = {}): ResNet => new ResNet('resnet101', o);
export const resnet152 = (o: ResNetOptions = {}): ResNet => new ResNet('resnet152', o);
export const RESNET_FACTORIES: Readonly<Record<ResNetArch, (o?: ResNetOptions) => ResNet>> = Object.freeze({
  resnet18, resnet34, resnet50, resnet101, resnet152,
});
