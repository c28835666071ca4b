// torchvision 0.14's residual blocks (models/resnet.py): BasicBlock (resnet18/34) and Bottleneck
// (resnet50/101/152, stride on the 3×3 conv: "ResNet V1.5"). Submodules are registered in torchvision's
// attribute order so that state_dict keys and their order match, and constructed in torchvision's order
// (downsample before the block, by the caller) so that a seeded construction draws the same random numbers.
import type { Tensor } from '../torch/index.js';
import { BatchNorm2d, Conv2d, Module, ReLU, type Sequential } from '../nn/index.js';
import { runChain, type Step } from './chain.js';

/** torchvision's ReLU(inplace=True): applied in place on a tensor the block made (saves an allocation). */
export const reluInPlace = (t: Tensor): Tensor => t.relu_();

export const conv3x3 = (inPlanes: number, outPlanes: number, stride = 1): Conv2d =>
  new Conv2d(inPlanes, outPlanes, 3, { stride, padding: 1, bias: false });
export const conv1x1 = (inPlanes: number, outPlanes: number, stride = 1): Conv2d =>
  new Conv2d(inPlanes, outPlanes, 1, { stride, bias: false });

/** A residual block: the main branch plus the identity (or the downsample projection), then ReLU. */
export abstract class ResidualBlock extends Module {
  abstract readonly downsample: Sequential | undefined;
  /** The steps of the main branch, in application order (ReLUs included, in place). */
  protected abstract branch(): Step[];

  forward(x: Tensor): Tensor {
    const out = runChain(x, this.branch());
    const identity = this.downsample ? runChain(x, [...this.downsample]) : x;
    // out += identity; relu — in place on tensors this block made, as torchvision does.
    out.add_(identity);
    if (identity !== x) identity.dispose();
    return out.relu_();
  }
}

/** Two 3×3 convolutions; expansion 1. */
export class BasicBlock extends ResidualBlock {
  static readonly expansion = 1;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly relu: ReLU;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly downsample: Sequential | undefined;

  constructor(inPlanes: number, planes: number, stride = 1, downsample?: Sequential) {
    super();
    this.conv1 = this.registerModule('conv1', conv3x3(inPlanes, planes, stride));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(planes));
    this.relu = this.registerModule('relu', new ReLU());
    this.conv2 = this.registerModule('conv2', conv3x3(planes, planes));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(planes));
    this.downsample = downsample ? this.registerModule('downsample', downsample) : undefined;
  }

  protected branch(): Step[] {
    return [this.conv1, this.bn1, reluInPlace, this.conv2, this.bn2];
  }
}

/** 1×1 reduce, 3×3 (with the stride), 1×1 expand; expansion 4. */
export class Bottleneck extends ResidualBlock {
  static readonly expansion = 4;
  readonly conv1: Conv2d;
  readonly bn1: BatchNorm2d;
  readonly conv2: Conv2d;
  readonly bn2: BatchNorm2d;
  readonly conv3: Conv2d;
  readonly bn3: BatchNorm2d;
  readonly relu: ReLU;
  readonly downsample: Sequential | undefined;

  constructor(inPlanes: number, planes: number, stride = 1, downsample?: Sequential) {
    super();
    const width = planes; // groups 1, base width 64
    this.conv1 = this.registerModule('conv1', conv1x1(inPlanes, width));
    this.bn1 = this.registerModule('bn1', new BatchNorm2d(width));
    this.conv2 = this.registerModule('conv2', conv3x3(width, width, stride));
    this.bn2 = this.registerModule('bn2', new BatchNorm2d(width));
    this.conv3 = this.registerModule('conv3', conv1x1(width, planes * Bottleneck.expansion));
    this.bn3 = this.registerModule('bn3', new BatchNorm2d(planes * Bottleneck.expansion));
    this.relu = this.registerModule('relu', new ReLU());
    this.downsample = downsample ? this.registerModule('downsample', downsample) : undefined;
  }

  protected branch(): Step[] {
    return [this.conv1, this.bn1, reluInPlace, this.conv2, this.bn2, reluInPlace, this.conv3, this.bn3];
  }
}

export type BlockKind = 'basic' | 'bottleneck';
export const BLOCKS = { basic: BasicBlock, bottleneck: Bottleneck } as const;
