// ConvNeXt as torchvision 0.14's models/convnext.py: a 4×4 stride-4 patchify stem (conv + LayerNorm2d), four
// stages of CNBlocks (depthwise 7×7 conv, channels-last LayerNorm, Linear 4× expansion, GELU, Linear, layer
// scale, stochastic depth, residual) with a LayerNorm2d + 2×2 stride-2 conv between stages, average pooling and
// classifier = (LayerNorm2d, Flatten, Linear). Modules are registered under torchvision's names and in its order
// (features.1.0.layer_scale, features.1.0.block.0.weight, ..., classifier.2.weight), built and initialised in its
// order, and run as stages: features0..features7, pool (avgpool, classifier.0, classifier.1), classifier (classifier.2).
import type { Tensor } from '../torch/index.js';
import {
  AdaptiveAvgPool2d, Conv2d, Flatten, GELU, LayerNorm, Linear, Module, Permute, Sequential, StochasticDepth, init,
} from '../nn/index.js';
import { ones } from '../torch/index.js';
import { StagedNet, type StageDef } from './staged.js';
import { runChain } from './chain.js';

/** LayerNorm over the channels of an NCHW tensor: permute to NHWC, layer_norm, permute back (torchvision's LayerNorm2d). */
export class LayerNorm2d extends LayerNorm {
  override forward(x: Tensor): Tensor {
    return runChain(x, [(t) => t.permute(0, 2, 3, 1), (t) => super.forward(t), (t) => t.permute(0, 3, 1, 2)]);
  }
}

export class CNBlock extends Module {
  readonly layerScale: Tensor;
  readonly block: Sequential;
  readonly stochasticDepth: StochasticDepth;

  constructor(dim: number, layerScale: number, stochasticDepthProb: number) {
    super();
    this.block = new Sequential(
      new Conv2d(dim, dim, 7, { padding: 3, groups: dim }),
      new Permute([0, 2, 3, 1]),
      new LayerNorm(dim, 1e-6),
      new Linear(dim, 4 * dim),
      new GELU(),
      new Linear(4 * dim, dim),
      new Permute([0, 3, 1, 2]),
    );
    // torch's state_dict lists a module's own parameters before its children's: layer_scale, then block.*.
    this.layerScale = this.registerParameter('layer_scale', ones([dim, 1, 1]).mul_(layerScale));
    this.registerModule('block', this.block);
    this.stochasticDepth = this.registerModule('stochastic_depth', new StochasticDepth(stochasticDepthProb, 'row'));
  }

  forward(x: Tensor): Tensor {
    const branch = runChain(x, this.block);
    const scaled = this.layerScale.mul(branch);
    branch.dispose();
    const dropped = this.stochasticDepth.forward(scaled);
    if (dropped !== scaled) scaled.dispose();
    return dropped.add_(x);
  }
}

/** One stage: input channels, output channels of the downsampling after it (none after the last), blocks. */
export type CNBlockConfig = readonly [inputChannels: number, outChannels: number | null, numLayers: number];

export const CONVNEXT_DESIGNS = Object.freeze({
  convnext_tiny: { blocks: [[96, 192, 3], [192, 384, 3], [384, 768, 9], [768, null, 3]] as CNBlockConfig[], stochasticDepthProb: 0.1 },
  convnext_small: { blocks: [[96, 192, 3], [192, 384, 3], [384, 768, 27], [768, null, 3]] as CNBlockConfig[], stochasticDepthProb: 0.4 },
});
export type ConvNeXtArch = keyof typeof CONVNEXT_DESIGNS;

export interface ConvNeXtOptions {
  numClasses?: number;
  /** Replaces classifier.2 right after construction (torchvision's Linear is built and initialised first, then freed). */
  head?: (inFeatures: number) => Module;
  /** Another design than the arch's (tests build small ones). */
  blocks?: readonly CNBlockConfig[];
  stochasticDepthProb?: number;
  layerScale?: number;
  /** Leaves out torchvision's trunc_normal_ initialisation (seconds for ConvNeXt's 28-50 M weights): for a model
   *  whose weights are loaded right after (a checkpoint, pretrained weights). */
  skipInit?: boolean;
}

export class ConvNeXt extends StagedNet {
  readonly arch: string;
  readonly features: Sequential;
  readonly avgpool: AdaptiveAvgPool2d;
  readonly classifier: Sequential;
  readonly numFeatures: number;
  readonly #stageDefs: StageDef[];

  constructor(arch: ConvNeXtArch | string, o: ConvNeXtOptions = {}) {
    super();
    this.arch = arch;
    const design = CONVNEXT_DESIGNS[arch as ConvNeXtArch];
    const blocks = o.blocks ?? design?.blocks;
    if (!blocks) throw new Error(`unknown ConvNeXt architecture ${JSON.stringify(arch)}; known: ${Object.keys(CONVNEXT_DESIGNS).join(', ')}`);
    const sdProb = o.stochasticDepthProb ?? design?.stochasticDepthProb ?? 0;
    const layerScale = o.layerScale ?? 1e-6;
    const norm2d = (c: number): LayerNorm2d => new LayerNorm2d(c, 1e-6);
    const layers: Module[] = [new Sequential(new Conv2d(3, blocks[0][0], 4, { stride: 4 }), norm2d(blocks[0][0]))];
    const total = blocks.reduce((n, b) => n + b[2], 0);
    let id = 0;
    for (const [inC, outC, n] of blocks) {
      const stage: Module[] = [];
      for (let i = 0; i < n; i++, id++) stage.push(new CNBlock(inC, layerScale, (sdProb * id) / (total - 1)));
      layers.push(new Sequential(...stage));
      if (outC !== null) layers.push(new Sequential(norm2d(inC), new Conv2d(inC, outC, 2, { stride: 2 })));
    }
    this.features = this.registerModule('features', new Sequential(...layers));
    this.avgpool = this.registerModule('avgpool', new AdaptiveAvgPool2d(1));
    const last = blocks[blocks.length - 1];
    this.numFeatures = last[1] ?? last[0];
    const linear = new Linear(this.numFeatures, o.numClasses ?? 1000);
    // torchvision initialises every Conv2d and Linear in module order, classifier.2 (built after the features) last.
    for (const m of o.skipInit ? [] : [...this.modules(), linear]) {
      if (m instanceof Conv2d || m instanceof Linear) {
        init.truncNormal_(m.weight, { std: 0.02 });
        if (m.bias) init.zeros_(m.bias);
      }
    }
    let head: Module = linear;
    if (o.head) {
      head = o.head(this.numFeatures);
      linear.dispose();
    }
    this.classifier = this.registerModule('classifier', new Sequential(norm2d(this.numFeatures), new Flatten(1), head));
    this.#stageDefs = [
      ...layers.map((_, i) => ({ name: `features${i}`, prefixes: [`features.${i}`] })),
      { name: 'pool', prefixes: ['avgpool', 'classifier.0', 'classifier.1'] },
      { name: 'classifier', prefixes: ['classifier.2'] },
    ];
  }

  get stageDefs(): readonly StageDef[] {
    return this.#stageDefs;
  }
  get headModule(): Module {
    return this.classifier.at(2);
  }

  runStage(stage: string, x: Tensor): Tensor {
    if (stage === 'pool') return runChain(x, [this.avgpool, this.classifier.at(0), this.classifier.at(1)]);
    if (stage === 'classifier') return this.classifier.at(2).forward(x);
    const m = /^features(\d+)$/.exec(stage);
    if (m && Number(m[1]) < this.features.length) {
      if (m[1] === '0') this.checkImages(x);
      return runChain(x, this.features.at<Sequential>(Number(m[1])));
    }
    throw new Error(`${this.arch}: unknown stage ${JSON.stringify(stage)}; stages are ${this.stages.join(', ')}`);
  }
}

/** The ConvNeXt arch of a plain state_dict (undefined when the keys are not ConvNeXt's: no features.1.0.layer_scale). */
export function recogniseConvNeXt(records: ReadonlyMap<string, { shape: readonly number[] }>, source: string): ConvNeXtArch | undefined {
  if (!records.has('features.1.0.layer_scale')) return undefined;
  const blocks = [1, 3, 5, 7].map((i) => {
    let n = 0;
    while (records.has(`features.${i}.${n}.layer_scale`)) n++;
    return n;
  });
  const width = records.get('features.0.0.weight')?.shape[0];
  const signature = (b: readonly CNBlockConfig[]): string => `${b[0][0]} [${b.map((s) => s[2]).join(', ')}]`;
  const found = `${width ?? '?'} [${blocks.join(', ')}]`;
  const hit = (Object.keys(CONVNEXT_DESIGNS) as ConvNeXtArch[]).find((a) => signature(CONVNEXT_DESIGNS[a].blocks) === found);
  if (!hit) {
    throw new Error(`${source}: a ConvNeXt state_dict whose stem width and blocks per stage (${found}) match none of ` +
      `${(Object.keys(CONVNEXT_DESIGNS) as ConvNeXtArch[]).map((a) => `${a} ${signature(CONVNEXT_DESIGNS[a].blocks)}`).join('; ')}`);
  }
  return hit;
}
