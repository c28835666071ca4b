// MobileNetV3 small and large as torchvision 0.14's models/mobilenetv3.py: the same modules in the same
// registration order (state_dict keys), construction order and initialisation (seeded draws), and forward.
// Stages: features0 … featuresN (stem, one inverted-residual block each, the final 1x1 conv), pool, prehead
// (classifier.0-2: Linear, Hardswish, Dropout) and head (classifier.3: the final Linear, or the task's head,
// the Dropout before it then set to p = 0).
import type { Tensor } from '../torch/index.js';
import {
  AdaptiveAvgPool2d, BatchNorm2d, Dropout, Hardsigmoid, Hardswish, Linear, Module, ReLU, Sequential, SqueezeExcitation, init,
} from '../nn/index.js';
import { runChain } from './chain.js';
import { Conv2dNormActivation, initConvnet, makeDivisible } from './convnet-parts.js';
import type { NetOptions } from './families.js';
import { StagedNet, type StageDef } from './staged.js';

export type MobileNetV3Arch = 'mobilenet_v3_small' | 'mobilenet_v3_large';

/** input, kernel, expanded, out, squeeze-excitation, hard-swish (else ReLU), stride (torchvision's table; width 1, no dilation). */
type BlockConfig = [number, number, number, number, boolean, boolean, number];
const LARGE: BlockConfig[] = [
  [16, 3, 16, 16, false, false, 1], [16, 3, 64, 24, false, false, 2], [24, 3, 72, 24, false, false, 1],
  [24, 5, 72, 40, true, false, 2], [40, 5, 120, 40, true, false, 1], [40, 5, 120, 40, true, false, 1],
  [40, 3, 240, 80, false, true, 2], [80, 3, 200, 80, false, true, 1], [80, 3, 184, 80, false, true, 1],
  [80, 3, 184, 80, false, true, 1], [80, 3, 480, 112, true, true, 1], [112, 3, 672, 112, true, true, 1],
  [112, 5, 672, 160, true, true, 2], [160, 5, 960, 160, true, true, 1], [160, 5, 960, 160, true, true, 1],
];
const SMALL: BlockConfig[] = [
  [16, 3, 16, 16, true, false, 2], [16, 3, 72, 24, false, false, 2], [24, 3, 88, 24, false, false, 1],
  [24, 5, 96, 40, true, true, 2], [40, 5, 240, 40, true, true, 1], [40, 5, 240, 40, true, true, 1],
  [40, 5, 120, 48, true, true, 1], [48, 5, 144, 48, true, true, 1], [48, 5, 288, 96, true, true, 2],
  [96, 5, 576, 96, true, true, 1], [96, 5, 576, 96, true, true, 1],
];

export class InvertedResidual extends Module {
  readonly block: Sequential;
  readonly useResConnect: boolean;
  constructor([inC, kernel, expanded, outC, se, hs, stride]: BlockConfig, norm: (c: number) => Module) {
    super();
    this.useResConnect = stride === 1 && inC === outC;
    const activation = () => (hs ? new Hardswish() : new ReLU());
    const layers: Module[] = [];
    if (expanded !== inC) layers.push(new Conv2dNormActivation(inC, expanded, 1, { norm, activation }));
    layers.push(new Conv2dNormActivation(expanded, expanded, kernel, { stride, groups: expanded, norm, activation }));
    if (se) layers.push(new SqueezeExcitation(expanded, makeDivisible(Math.floor(expanded / 4), 8), new ReLU(), new Hardsigmoid()));
    layers.push(new Conv2dNormActivation(expanded, outC, 1, { norm }));
    this.block = this.registerModule('block', new Sequential(...layers));
  }
  forward(x: Tensor): Tensor {
    const r = runChain(x, [...this.block]);
    if (!this.useResConnect) return r;
    const out = r.add(x);
    r.dispose();
    return out;
  }
}

export class MobileNetV3 extends StagedNet {
  readonly arch: MobileNetV3Arch;
  readonly features: Sequential;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly classifier: Sequential;
  readonly numFeatures: number;
  readonly #stageDefs: StageDef[];

  constructor(arch: MobileNetV3Arch, o: NetOptions = {}) {
    super();
    this.arch = arch;
    const table = arch === 'mobilenet_v3_large' ? LARGE : SMALL;
    const lastChannel = arch === 'mobilenet_v3_large' ? 1280 : 1024;
    const norm = (c: number) => new BatchNorm2d(c, { eps: 0.001, momentum: 0.01 });
    const layers: Module[] = [new Conv2dNormActivation(3, table[0]![0], 3, { stride: 2, norm, activation: () => new Hardswish() })];
    for (const c of table) layers.push(new InvertedResidual(c, norm));
    const lastIn = table[table.length - 1]![3];
    layers.push(new Conv2dNormActivation(lastIn, 6 * lastIn, 1, { norm, activation: () => new Hardswish() }));
    this.features = this.registerModule('features', new Sequential(...layers));
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d(1));
    this.numFeatures = lastChannel;
    const pre = new Linear(6 * lastIn, lastChannel);
    const linear = new Linear(lastChannel, 1000);
    initConvnet([...this.modules(), pre, linear], (l) => init.normal_(l.weight, 0, 0.01));
    let head: Module = linear;
    if (o.head) {
      linear.dispose();
      head = o.head(lastChannel);
    }
    this.classifier = this.registerModule('classifier', new Sequential(pre, new Hardswish(), new Dropout(o.head ? 0 : 0.2), head));
    this.#stageDefs = [
      ...layers.map((_, i) => ({ name: `features${i}`, prefixes: [`features.${i}`] })),
      { name: 'pool', prefixes: ['avgpool'] },
      { name: 'prehead', prefixes: ['classifier.0', 'classifier.1', 'classifier.2'] },
      { name: 'head', prefixes: ['classifier.3'] },
    ];
  }

  get stageDefs(): readonly StageDef[] {
    return this.#stageDefs;
  }
  get headModule(): Module {
    return this.classifier.at(3);
  }

  runStage(stage: string, x: Tensor): Tensor {
    if (stage === 'pool') return runChain(x, [this.avgpool, (t: Tensor) => t.flatten(1)]);
    if (stage === 'prehead') return runChain(x, [this.classifier.at(0), this.classifier.at(1), this.classifier.at(2)]);
    if (stage === 'head') return this.classifier.at(3).forward(x);
    const m = /^features(\d+)$/.exec(stage);
    if (m && Number(m[1]) < this.features.length) {
      if (m[1] === '0') this.checkImages(x);
      const mod = this.features.at(Number(m[1]));
      return mod instanceof Sequential ? runChain(x, [...mod]) : mod.forward(x);
    }
    throw new Error(`${this.arch}: unknown stage ${JSON.stringify(stage)}; stages are ${this.stages.join(', ')}`);
  }
}

export const MOBILENET_V3_ARCHS: readonly MobileNetV3Arch[] = ['mobilenet_v3_small', 'mobilenet_v3_large'];
/** Entries of `features` (stem, blocks, final conv) per architecture: what a state_dict's keys show. */
export const MOBILENET_V3_FEATURES: Readonly<Record<MobileNetV3Arch, number>> = { mobilenet_v3_small: SMALL.length + 2, mobilenet_v3_large: LARGE.length + 2 };
