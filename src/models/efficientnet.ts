// EfficientNet B0-B3 and V2-S as torchvision 0.14's models/efficientnet.py: the same modules in the same
// registration order (state_dict keys), the same construction order and initialisation (seeded draws), the same
// forward in train and eval mode (stochastic depth by torch's own draws). Stages: features0 … featuresN (stem,
// the MBConv/FusedMBConv stages, the final 1x1 conv), pool, head (classifier: Dropout, then the final Linear or
// the task's head at classifier.1, the Dropout then set to p = 0).
import type { Tensor } from '../torch/index.js';
import {
  AdaptiveAvgPool2d, BatchNorm2d, Dropout, Linear, Module, Sequential, SiLU, SqueezeExcitation, StochasticDepth, Sigmoid, init,
} from '../nn/index.js';
import { runChain } from './chain.js';
import { Conv2dNormActivation, initConvnet, makeDivisible } from './convnet-parts.js';
import type { NetOptions } from './families.js';
import { StagedNet, type StageDef } from './staged.js';

export type EfficientNetArch = 'efficientnet_b0' | 'efficientnet_b1' | 'efficientnet_b2' | 'efficientnet_b3' | 'efficientnet_v2_s';

/** expand ratio, kernel, stride, in, out, layers; fused: FusedMBConv (V2's first stages). */
interface StageConfig { expand: number; kernel: number; stride: number; inC: number; outC: number; layers: number; fused: boolean }

const B_STAGES: [number, number, number, number, number, number][] = [
  [1, 3, 1, 32, 16, 1], [6, 3, 2, 16, 24, 2], [6, 5, 2, 24, 40, 2], [6, 3, 2, 40, 80, 3],
  [6, 5, 1, 80, 112, 3], [6, 5, 2, 112, 192, 4], [6, 3, 1, 192, 320, 1],
];
const V2S_STAGES: [number, number, number, number, number, number, boolean][] = [
  [1, 3, 1, 24, 24, 2, true], [4, 3, 2, 24, 48, 4, true], [4, 3, 2, 48, 64, 4, true],
  [4, 3, 2, 64, 128, 6, false], [6, 3, 1, 128, 160, 9, false], [6, 3, 2, 160, 256, 15, false],
];
/** width, depth multipliers and torchvision's classifier dropout per B variant. */
const B_SCALES: Record<string, [number, number, number]> = {
  efficientnet_b0: [1.0, 1.0, 0.2], efficientnet_b1: [1.0, 1.1, 0.2], efficientnet_b2: [1.1, 1.2, 0.3], efficientnet_b3: [1.2, 1.4, 0.3],
};

function configOf(arch: EfficientNetArch): { stages: StageConfig[]; lastChannel: number | undefined; dropout: number; bnEps: number } {
  if (arch === 'efficientnet_v2_s') {
    const stages = V2S_STAGES.map(([expand, kernel, stride, inC, outC, layers, fused]) => ({ expand, kernel, stride, inC, outC, layers, fused }));
    return { stages, lastChannel: 1280, dropout: 0.2, bnEps: 1e-3 };
  }
  const [w, d, dropout] = B_SCALES[arch]!;
  const stages = B_STAGES.map(([expand, kernel, stride, inC, outC, layers]) => ({
    expand, kernel, stride, inC: makeDivisible(inC * w), outC: makeDivisible(outC * w), layers: Math.ceil(layers * d), fused: false,
  }));
  return { stages, lastChannel: undefined, dropout, bnEps: 1e-5 };
}

/** The block's branch plus, when shapes allow, stochastic depth and the residual (`result += input`). */
abstract class EfficientBlock extends Module {
  abstract readonly block: Sequential;
  abstract readonly stochasticDepth: StochasticDepth;
  abstract readonly useResConnect: boolean;
  forward(x: Tensor): Tensor {
    const r = runChain(x, [...this.block]);
    if (!this.useResConnect) return r;
    const dropped = this.stochasticDepth.forward(r);
    if (dropped !== r) r.dispose();
    const out = dropped.add(x);
    dropped.dispose();
    return out;
  }
}

export class MBConv extends EfficientBlock {
  readonly block: Sequential;
  readonly stochasticDepth: StochasticDepth;
  readonly useResConnect: boolean;
  constructor(c: StageConfig, sdProb: number, norm: (c: number) => Module) {
    super();
    this.useResConnect = c.stride === 1 && c.inC === c.outC;
    const expanded = makeDivisible(c.inC * c.expand);
    const layers: Module[] = [];
    if (expanded !== c.inC) layers.push(new Conv2dNormActivation(c.inC, expanded, 1, { norm, activation: () => new SiLU() }));
    layers.push(new Conv2dNormActivation(expanded, expanded, c.kernel, { stride: c.stride, groups: expanded, norm, activation: () => new SiLU() }));
    layers.push(new SqueezeExcitation(expanded, Math.max(1, Math.floor(c.inC / 4)), new SiLU(), new Sigmoid()));
    layers.push(new Conv2dNormActivation(expanded, c.outC, 1, { norm }));
    this.block = this.registerModule('block', new Sequential(...layers));
    this.stochasticDepth = this.registerModule('stochastic_depth', new StochasticDepth(sdProb, 'row'));
  }
}

export class FusedMBConv extends EfficientBlock {
  readonly block: Sequential;
  readonly stochasticDepth: StochasticDepth;
  readonly useResConnect: boolean;
  constructor(c: StageConfig, sdProb: number, norm: (c: number) => Module) {
    super();
    this.useResConnect = c.stride === 1 && c.inC === c.outC;
    const expanded = makeDivisible(c.inC * c.expand);
    const layers: Module[] = expanded !== c.inC
      ? [new Conv2dNormActivation(c.inC, expanded, c.kernel, { stride: c.stride, norm, activation: () => new SiLU() }),
        new Conv2dNormActivation(expanded, c.outC, 1, { norm })]
      : [new Conv2dNormActivation(c.inC, c.outC, c.kernel, { stride: c.stride, norm, activation: () => new SiLU() })];
    this.block = this.registerModule('block', new Sequential(...layers));
    this.stochasticDepth = this.registerModule('stochastic_depth', new StochasticDepth(sdProb, 'row'));
  }
}

export class EfficientNet extends StagedNet {
  readonly arch: EfficientNetArch;
  readonly features: Sequential;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly classifier: Sequential;
  readonly numFeatures: number;
  readonly #stageDefs: StageDef[];

  constructor(arch: EfficientNetArch, o: NetOptions & { stochasticDepthProb?: number } = {}) {
    super();
    this.arch = arch;
    const { stages, lastChannel, dropout, bnEps } = configOf(arch);
    const norm = (c: number) => new BatchNorm2d(c, { eps: bnEps });
    const layers: Module[] = [new Conv2dNormActivation(3, stages[0]!.inC, 3, { stride: 2, norm, activation: () => new SiLU() })];
    const total = stages.reduce((n, s) => n + s.layers, 0);
    const sd = o.stochasticDepthProb ?? 0.2;
    let id = 0;
    for (const s of stages) {
      const blocks: Module[] = [];
      for (let i = 0; i < s.layers; i++) {
        const c = i === 0 ? s : { ...s, inC: s.outC, stride: 1 };
        const p = (sd * id) / total;
        blocks.push(s.fused ? new FusedMBConv(c, p, norm) : new MBConv(c, p, norm));
        id++;
      }
      layers.push(new Sequential(...blocks));
    }
    const lastIn = stages[stages.length - 1]!.outC;
    this.numFeatures = lastChannel ?? 4 * lastIn;
    layers.push(new Conv2dNormActivation(lastIn, this.numFeatures, 1, { norm, activation: () => new SiLU() }));
    this.features = this.registerModule('features', new Sequential(...layers));
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d(1));
    const linear = new Linear(this.numFeatures, 1000);
    initConvnet([...this.modules(), linear], (l) => {
      const r = 1 / Math.sqrt(l.outFeatures);
      init.uniform_(l.weight, -r, r);
    });
    let classifier: Sequential;
    if (o.head) {
      linear.dispose();
      classifier = new Sequential(new Dropout(0), o.head(this.numFeatures));
    } else {
      classifier = new Sequential(new Dropout(dropout), linear);
    }
    this.classifier = this.registerModule('classifier', classifier);
    this.#stageDefs = [
      ...layers.map((_, i) => ({ name: `features${i}`, prefixes: [`features.${i}`] })),
      { name: 'pool', prefixes: ['avgpool'] },
      { name: 'head', prefixes: ['classifier'] },
    ];
  }

  get stageDefs(): readonly StageDef[] {
    return this.#stageDefs;
  }
  get headModule(): Module {
    return this.classifier.at(1);
  }

  runStage(stage: string, x: Tensor): Tensor {
    if (stage === 'pool') return runChain(x, [this.avgpool, (t: Tensor) => t.flatten(1)]);
    if (stage === 'head') return runChain(x, [...this.classifier]);
    const m = /^features(\d+)$/.exec(stage);
    if (m && Number(m[1]) < this.features.length) {
      if (m[1] === '0') this.checkImages(x);
      const mod = this.features.at(Number(m[1]));
      return mod instanceof Sequential ? runChain(x, [...mod]) : mod.forward(x);
    }
    throw new Error(`${this.arch}: unknown stage ${JSON.stringify(stage)}; stages are ${this.stages.join(', ')}`);
  }
}

export const EFFICIENTNET_ARCHS: readonly EfficientNetArch[] = ['efficientnet_b0', 'efficientnet_b1', 'efficientnet_b2', 'efficientnet_b3', 'efficientnet_v2_s'];

/** What an architecture's keys show: blocks per stage (features.1 …) and the final conv's output channels. */
export function efficientNetSignature(arch: EfficientNetArch): string {
  const { stages, lastChannel } = configOf(arch);
  const last = lastChannel ?? 4 * makeDivisible(stages[stages.length - 1]!.outC);
  return `${stages.map((s) => s.layers).join(',')}/${last}`;
}
