// RegNetY as torchvision 0.14's models/regnet.py: the stem (3×3 conv stride 2, BN, ReLU), four stages of
// residual bottleneck blocks (1×1, grouped 3×3 with the stride, squeeze-excitation, 1×1; a projection shortcut
// where the shape changes), average pooling and fc. Modules are registered under torchvision's names and in its
// order (trunk_output.block1.block1-0.f.a.0.weight, ...), built and initialised in its order (so that a seeded
// construction draws the same numbers), and run as stages: stem, block1..block4, pool, fc.
import type { Tensor } from '../torch/index.js';
import {
  AdaptiveAvgPool2d, BatchNorm2d, Conv2d, Linear, Module, NamedSequential, ReLU, Sigmoid, SqueezeExcitation, init,
} from '../nn/index.js';
import { StagedNet, type StageDef } from './staged.js';
import { Conv2dNormActivation } from './convnet-parts.js';
import { runChain } from './chain.js';
import { REGNET_DESIGNS, regnetParams, roundHalfEven, type RegNetArch, type RegNetParams } from './regnet-params.js';

export { REGNET_DESIGNS, regnetParams, type RegNetArch, type RegNetParams } from './regnet-params.js';

/** torchvision's Conv2dNormActivation with BatchNorm: conv (no bias, "same" padding), BN, optional ReLU. */
function convBn(inC: number, outC: number, k: number, o: { stride?: number; groups?: number; relu?: boolean } = {}): Conv2dNormActivation {
  return new Conv2dNormActivation(inC, outC, k, {
    stride: o.stride, groups: o.groups, norm: (c) => new BatchNorm2d(c), activation: o.relu === false ? undefined : () => new ReLU(),
  });
}

/** x + F(x) (or proj(x) + F(x)), then ReLU; F (`f`) = a: 1×1, b: 3×3 grouped with the stride, se, c: 1×1. */
export class ResBottleneckBlock extends Module {
  readonly proj: Conv2dNormActivation | undefined;
  readonly f: NamedSequential;
  readonly activation: ReLU;

  constructor(widthIn: number, widthOut: number, stride: number, groupWidth: number, bottleneckMultiplier: number, seRatio?: number) {
    super();
    if (widthIn !== widthOut || stride !== 1) this.proj = this.registerModule('proj', convBn(widthIn, widthOut, 1, { stride, relu: false }));
    const wb = roundHalfEven(widthOut * bottleneckMultiplier);
    const groups = Math.floor(wb / groupWidth);
    const f = new NamedSequential([['a', convBn(widthIn, wb, 1)], ['b', convBn(wb, wb, 3, { stride, groups })]]);
    // The SE reduction is relative to the block's input width.
    if (seRatio) f.add('se', new SqueezeExcitation(wb, roundHalfEven(seRatio * widthIn), new ReLU(), new Sigmoid()));
    f.add('c', convBn(wb, widthOut, 1, { relu: false }));
    this.f = this.registerModule('f', f);
    this.activation = this.registerModule('activation', new ReLU());
  }

  forward(x: Tensor): Tensor {
    const out = runChain(x, this.f);
    const shortcut = this.proj ? runChain(x, this.proj) : x;
    out.add_(shortcut);
    if (shortcut !== x) shortcut.dispose();
    return out.relu_();
  }
}

export interface RegNetOptions {
  numClasses?: number;
  /** Replaces fc right after construction (torchvision's fc is built and initialised first, then freed). */
  head?: (inFeatures: number) => Module;
  /** Another design than the arch's (tests build small ones). */
  params?: RegNetParams;
  stemWidth?: number;
  /** Leaves out torchvision's initialisation: for a model whose weights are loaded right after. */
  skipInit?: boolean;
}

export class RegNet extends StagedNet {
  readonly arch: string;
  readonly stem: Conv2dNormActivation;
  readonly trunkOutput: NamedSequential;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly fc: Module;
  readonly numFeatures: number;
  readonly #stageDefs: StageDef[];

  constructor(arch: RegNetArch | string, o: RegNetOptions = {}) {
    super();
    this.arch = arch;
    const params = o.params ?? regnetParams(REGNET_DESIGNS[arch as RegNetArch] ?? (() => {
      throw new Error(`unknown RegNet architecture ${JSON.stringify(arch)}; known: ${Object.keys(REGNET_DESIGNS).join(', ')}`);
    })());
    const stemWidth = o.stemWidth ?? 32;
    this.stem = this.registerModule('stem', convBn(3, stemWidth, 3, { stride: 2 }));
    const trunk = new NamedSequential();
    let width = stemWidth;
    params.stages.forEach((s, i) => {
      const stage = new NamedSequential();
      for (let j = 0; j < s.depth; j++) {
        stage.add(`block${i + 1}-${j}`, new ResBottleneckBlock(j === 0 ? width : s.width, s.width, j === 0 ? s.stride : 1, s.groupWidth,
          s.bottleneckMultiplier, params.seRatio));
      }
      trunk.add(`block${i + 1}`, stage);
      width = s.width;
    });
    this.trunkOutput = this.registerModule('trunk_output', trunk);
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d(1));
    this.numFeatures = width;
    const fc = new Linear(width, o.numClasses ?? 1000);
    // torchvision's ResNet-style initialisation, module by module in registration order.
    for (const m of o.skipInit ? [] : [...this.modules(), fc]) {
      if (m instanceof Conv2d) init.normal_(m.weight, 0, Math.sqrt(2 / (m.kernelSize[0] * m.kernelSize[1] * m.outChannels)));
      else if (m instanceof BatchNorm2d) {
        init.ones_(m.weight!);
        init.zeros_(m.bias!);
      } else if (m instanceof Linear) {
        init.normal_(m.weight, 0, 0.01);
        init.zeros_(m.bias!);
      }
    }
    if (o.head) {
      fc.dispose();
      this.fc = this.registerModule('fc', o.head(width));
    } else {
      this.fc = this.registerModule('fc', fc);
    }
    this.#stageDefs = [
      { name: 'stem', prefixes: ['stem'] },
      ...params.stages.map((_, i) => ({ name: `block${i + 1}`, prefixes: [`trunk_output.block${i + 1}`] })),
      { name: 'pool', prefixes: ['avgpool'] },
      { name: 'fc', prefixes: ['fc'] },
    ];
  }

  get stageDefs(): readonly StageDef[] {
    return this.#stageDefs;
  }
  get headModule(): Module {
    return this.fc;
  }

  runStage(stage: string, x: Tensor): Tensor {
    if (stage === 'stem') {
      this.checkImages(x);
      return runChain(x, this.stem);
    }
    if (stage === 'pool') return runChain(x, [this.avgpool, (t: Tensor) => t.flatten(1)]);
    if (stage === 'fc') return this.fc.forward(x);
    const m = /^block(\d+)$/.exec(stage);
    if (m && Number(m[1]) >= 1 && Number(m[1]) <= this.trunkOutput.length) return runChain(x, this.trunkOutput.get<NamedSequential>(stage));
    throw new Error(`${this.arch}: unknown stage ${JSON.stringify(stage)}; stages are ${this.stages.join(', ')}`);
  }
}

/** The RegNet arch of a plain state_dict (undefined when the keys are not RegNet's: no stem.0.weight / trunk_output). */
export function recogniseRegNet(records: ReadonlyMap<string, { shape: readonly number[] }>, source: string): RegNetArch | undefined {
  if (!records.has('stem.0.weight') || !records.has('trunk_output.block1.block1-0.f.a.0.weight')) return undefined;
  const stages: string[] = [];
  for (let i = 1; records.has(`trunk_output.block${i}.block${i}-0.f.a.0.weight`); i++) {
    let depth = 0;
    while (records.has(`trunk_output.block${i}.block${i}-${depth}.f.a.0.weight`)) depth++;
    stages.push(`${records.get(`trunk_output.block${i}.block${i}-0.f.c.0.weight`)?.shape[0] ?? '?'}×${depth}`);
  }
  const se = records.has('trunk_output.block1.block1-0.f.se.fc1.weight');
  const found = `${se ? 'Y' : 'X'} [${stages.join(', ')}]`;
  const archs = Object.keys(REGNET_DESIGNS) as RegNetArch[];
  const signature = (a: RegNetArch): string => `Y [${regnetParams(REGNET_DESIGNS[a]).stages.map((s) => `${s.width}×${s.depth}`).join(', ')}]`;
  const hit = archs.find((a) => signature(a) === found);
  if (!hit) {
    throw new Error(`${source}: a RegNet state_dict (${found}: width×blocks per stage${se ? '' : '; no squeeze-excitation, so a RegNetX'}) that matches ` +
      `none of ${archs.map((a) => `${a} ${signature(a)}`).join('; ')}`);
  }
  return hit;
}
