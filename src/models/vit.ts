// The Vision Transformer as torchvision 0.14's models/vision_transformer.py: a patch embedding (conv_proj, a
// patch×patch stride-patch conv), the class token, the position embedding, encoder layers of pre-norm
// multi-head self-attention and an MLP (Linear, GELU, Dropout, Linear, Dropout; keys mlp.0 / mlp.3), the final
// encoder.ln, and heads.head on the class token. Modules are registered under torchvision's names and in its
// order (class_token, conv_proj.*, encoder.pos_embedding, encoder.layers.encoder_layer_0.ln_1.weight, ...,
// encoder.ln.*, heads.head.*), built and initialised in its order, and run as stages: embed, layer0..layerN-1,
// ln (the encoder's LayerNorm and the class token's row), head.
//
// The position embedding fixes the image size (torchvision asserts it): vit_b_16 takes 224×224 images.
import { cat, empty, zeros, type Tensor } from '../torch/index.js';
import {
  Conv2d, Dropout, GELU, LayerNorm, Linear, Module, MultiheadAttention, NamedSequential, Sequential, init,
} from '../nn/index.js';
import { StagedNet, type StageDef } from './staged.js';
import { runChain } from './chain.js';

export interface ViTConfig {
  imageSize: number;
  patchSize: number;
  numLayers: number;
  numHeads: number;
  hiddenDim: number;
  mlpDim: number;
  dropout?: number;
  attentionDropout?: number;
}

export const VIT_DESIGNS = Object.freeze({
  vit_b_16: { imageSize: 224, patchSize: 16, numLayers: 12, numHeads: 12, hiddenDim: 768, mlpDim: 3072 },
} satisfies Record<string, ViTConfig>);
export type ViTArch = keyof typeof VIT_DESIGNS;

/** torchvision's MLPBlock: Linear, GELU, Dropout, Linear, Dropout; xavier_uniform_ weights, N(0, 1e-6) biases. */
export class MLPBlock extends Sequential {
  constructor(inDim: number, mlpDim: number, dropout: number) {
    const l1 = new Linear(inDim, mlpDim);
    const l2 = new Linear(mlpDim, inDim);
    super(l1, new GELU(), new Dropout(dropout), l2, new Dropout(dropout));
    for (const l of [l1, l2]) {
      init.xavierUniform_(l.weight);
      init.normal_(l.bias!, 0, 1e-6);
    }
  }
  override forward(x: Tensor): Tensor {
    return runChain(x, [...this]);
  }
}

/** Pre-norm transformer block: x + dropout(attention(ln_1(x))), then + mlp(ln_2(·)). */
export class EncoderBlock extends Module {
  readonly ln1: LayerNorm;
  readonly selfAttention: MultiheadAttention;
  readonly dropout: Dropout;
  readonly ln2: LayerNorm;
  readonly mlp: MLPBlock;

  constructor(numHeads: number, hiddenDim: number, mlpDim: number, dropout: number, attentionDropout: number) {
    super();
    this.ln1 = this.registerModule('ln_1', new LayerNorm(hiddenDim, 1e-6));
    this.selfAttention = this.registerModule('self_attention', new MultiheadAttention(hiddenDim, numHeads, { dropout: attentionDropout }));
    this.dropout = this.registerModule('dropout', new Dropout(dropout));
    this.ln2 = this.registerModule('ln_2', new LayerNorm(hiddenDim, 1e-6));
    this.mlp = this.registerModule('mlp', new MLPBlock(hiddenDim, mlpDim, dropout));
  }

  forward(input: Tensor): Tensor {
    if (input.ndim !== 3) throw new Error(`EncoderBlock: expected (batch_size, seq_length, hidden_dim) got [${input.shape.join(', ')}]`);
    const a = runChain(input, [this.ln1, this.selfAttention, this.dropout]);
    const x = a.add(input);
    a.dispose();
    const y = runChain(x, [this.ln2, this.mlp]);
    const out = x.add(y);
    x.dispose();
    y.dispose();
    return out;
  }
}

/** pos_embedding, dropout, the layers (encoder_layer_0, ...) and ln; forward is split into the network's stages. */
export class Encoder extends Module {
  readonly posEmbedding: Tensor;
  readonly dropout: Dropout;
  readonly layers: NamedSequential;
  readonly ln: LayerNorm;

  constructor(seqLength: number, c: Required<ViTConfig>) {
    super();
    // BERT's init, drawn at construction as torchvision does.
    this.posEmbedding = this.registerParameter('pos_embedding', init.normal_(empty([1, seqLength, c.hiddenDim]), 0, 0.02));
    this.dropout = this.registerModule('dropout', new Dropout(c.dropout));
    const layers = new NamedSequential();
    for (let i = 0; i < c.numLayers; i++) {
      layers.add(`encoder_layer_${i}`, new EncoderBlock(c.numHeads, c.hiddenDim, c.mlpDim, c.dropout, c.attentionDropout));
    }
    this.layers = this.registerModule('layers', layers);
    this.ln = this.registerModule('ln', new LayerNorm(c.hiddenDim, 1e-6));
  }

  forward(x: Tensor): Tensor {
    const withPos = x.add(this.posEmbedding);
    const out = runChain(withPos, [this.dropout, ...this.layers, this.ln]);
    if (out !== withPos) withPos.dispose();
    return out;
  }
}

/** torchvision's `heads`: Sequential(OrderedDict(head=Linear)); the task's head replaces `head`. */
export class Heads extends NamedSequential {}

export interface ViTOptions {
  numClasses?: number;
  /** Replaces heads.head right after construction (torchvision's Linear is built and initialised first, then freed). */
  head?: (inFeatures: number) => Module;
  /** Another configuration than the arch's (tests build small ones). */
  config?: ViTConfig;
  /** Leaves out torchvision's initialisation of the big tensors (for a model whose weights are loaded right after). */
  skipInit?: boolean;
}

export class VisionTransformer extends StagedNet {
  readonly arch: string;
  readonly config: Required<ViTConfig>;
  readonly classToken: Tensor;
  readonly convProj: Conv2d;
  readonly encoder: Encoder;
  readonly heads: Heads;
  readonly numFeatures: number;
  readonly seqLength: number;
  readonly #stageDefs: StageDef[];

  constructor(arch: ViTArch | string, o: ViTOptions = {}) {
    super();
    this.arch = arch;
    const design = o.config ?? VIT_DESIGNS[arch as ViTArch];
    if (!design) throw new Error(`unknown ViT architecture ${JSON.stringify(arch)}; known: ${Object.keys(VIT_DESIGNS).join(', ')}`);
    const c: Required<ViTConfig> = { dropout: 0, attentionDropout: 0, ...design };
    if (c.imageSize % c.patchSize) throw new Error(`${arch}: image size ${c.imageSize} is not a multiple of the patch size ${c.patchSize}`);
    this.config = c;
    // torchvision's order: conv_proj, class_token, encoder, heads (own parameters come first in the state_dict).
    const convProj = new Conv2d(3, c.hiddenDim, c.patchSize, { stride: c.patchSize });
    this.classToken = this.registerParameter('class_token', zeros([1, 1, c.hiddenDim]));
    this.convProj = this.registerModule('conv_proj', convProj);
    this.seqLength = (c.imageSize / c.patchSize) ** 2 + 1;
    this.encoder = this.registerModule('encoder', new Encoder(this.seqLength, c));
    this.numFeatures = c.hiddenDim;
    const linear = new Linear(c.hiddenDim, o.numClasses ?? 1000);
    if (!o.skipInit) {
      const fanIn = 3 * c.patchSize * c.patchSize;
      init.truncNormal_(convProj.weight, { std: Math.sqrt(1 / fanIn) });
      init.zeros_(convProj.bias!);
      init.zeros_(linear.weight);
      init.zeros_(linear.bias!);
    }
    let head: Module = linear;
    if (o.head) {
      head = o.head(c.hiddenDim);
      linear.dispose();
    }
    this.heads = this.registerModule('heads', new Heads([['head', head]]));
    this.#stageDefs = [
      { name: 'embed', prefixes: ['class_token', 'conv_proj', 'encoder.pos_embedding', 'encoder.dropout'] },
      ...Array.from({ length: c.numLayers }, (_, i) => ({ name: `layer${i}`, prefixes: [`encoder.layers.encoder_layer_${i}`] })),
      { name: 'ln', prefixes: ['encoder.ln'] },
      { name: 'head', prefixes: ['heads'] },
    ];
  }

  get stageDefs(): readonly StageDef[] {
    return this.#stageDefs;
  }
  get headModule(): Module {
    return this.heads.get('head');
  }

  /** Patches + class token + position embedding (+ dropout): the encoder layers' input [N, seq, hidden]. */
  #embed(x: Tensor): Tensor {
    this.checkImages(x);
    const [n, , h, w] = x.shape;
    const { imageSize, patchSize, hiddenDim } = this.config;
    if (h !== imageSize || w !== imageSize) {
      throw new Error(`${this.arch}: takes ${imageSize}×${imageSize} images (its position embedding has ${this.seqLength} tokens), got ${h}×${w}`);
    }
    const patches = runChain(x, [this.convProj, (t: Tensor) => t.reshape(n, hiddenDim, (h / patchSize) * (w / patchSize)), (t: Tensor) => t.permute(0, 2, 1)]);
    const token = this.classToken.expand(n, -1, -1);
    const joined = cat([token, patches], 1);
    token.dispose();
    patches.dispose();
    const withPos = joined.add(this.encoder.posEmbedding);
    joined.dispose();
    const out = this.encoder.dropout.forward(withPos);
    if (out !== withPos) withPos.dispose();
    return out;
  }

  runStage(stage: string, x: Tensor): Tensor {
    if (stage === 'embed') return this.#embed(x);
    if (stage === 'ln') return runChain(x, [this.encoder.ln, (t: Tensor) => t.select(1, 0)]);
    if (stage === 'head') return this.headModule.forward(x);
    const m = /^layer(\d+)$/.exec(stage);
    if (m && Number(m[1]) < this.config.numLayers) return this.encoder.layers.get(`encoder_layer_${m[1]}`).forward(x);
    throw new Error(`${this.arch}: unknown stage ${JSON.stringify(stage)}; stages are ${this.stages.join(', ')}`);
  }
}

/** Old torchvision ViT checkpoints (before 0.14's MLP) name the MLP's Linears linear_1 / linear_2: mlp.0 / mlp.3 now,
 *  as MLPBlock's state_dict upgrade hook renames them. */
export function upgradeViTKeys<T>(records: ReadonlyMap<string, T>): Map<string, T> {
  const out = new Map<string, T>();
  for (const [k, v] of records) out.set(k.replace(/(\.mlp\.)linear_([12])(\.(?:weight|bias))$/, (_m, a: string, i: string, b: string) => `${a}${i === '1' ? 0 : 3}${b}`), v);
  return out;
}

/** The ViT arch of a plain state_dict (undefined when the keys are not ViT's: no class_token / encoder.pos_embedding). */
export function recogniseViT(records: ReadonlyMap<string, { shape: readonly number[] }>, source: string): ViTArch | undefined {
  const token = records.get('class_token');
  const pos = records.get('encoder.pos_embedding');
  if (!token || !pos) return undefined;
  let layers = 0;
  while (records.has(`encoder.layers.encoder_layer_${layers}.ln_1.weight`)) layers++;
  const patch = records.get('conv_proj.weight')?.shape[2];
  const mlp = (records.get('encoder.layers.encoder_layer_0.mlp.0.weight') ?? records.get('encoder.layers.encoder_layer_0.mlp.linear_1.weight'))?.shape[0];
  const describe = (c: { hiddenDim: number; numLayers: number; patchSize: number; mlpDim: number; tokens: number }): string =>
    `hidden ${c.hiddenDim}, ${c.numLayers} layers, patch ${c.patchSize}, MLP ${c.mlpDim}, ${c.tokens} tokens`;
  const found = describe({ hiddenDim: token.shape[2], numLayers: layers, patchSize: patch ?? NaN, mlpDim: mlp ?? NaN, tokens: pos.shape[1] });
  const archs = Object.keys(VIT_DESIGNS) as ViTArch[];
  const signature = (a: ViTArch): string => {
    const c = VIT_DESIGNS[a];
    return describe({ ...c, tokens: (c.imageSize / c.patchSize) ** 2 + 1 });
  };
  const hit = archs.find((a) => signature(a) === found);
  if (!hit) throw new Error(`${source}: a ViT state_dict (${found}) that matches none of ${archs.map((a) => `${a} (${signature(a)})`).join('; ')}`);
  return hit;
}
