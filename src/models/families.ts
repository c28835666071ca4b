// The engine side of the zoo (see the contract at the top of zoo.ts): per family, how to build a network with
// the task's head in place of torchvision's final Linear, and how to recognise its architecture from a plain
// state_dict's keys. A family adds one FamilyBuilder to FAMILY_BUILDERS.
import type { Module } from '../nn/index.js';
import type { StateDictRecords } from '../io/index.js';
import type { StagedNet } from './staged.js';
import { ALL_ARCHS, familyOf, type Arch, type FamilyName } from './zoo.js';
import { ResNet } from './resnet.js';
import { inferResNetArch } from './infer.js';
import type { ResNetArch } from './archs.js';
import { ConvNeXt, recogniseConvNeXt } from './convnext.js';
import { RegNet, recogniseRegNet } from './regnet.js';
import { VisionTransformer, recogniseViT } from './vit.js';
import { EFFICIENTNET_ARCHS, EfficientNet, efficientNetSignature, type EfficientNetArch } from './efficientnet.js';
import { MOBILENET_V3_ARCHS, MOBILENET_V3_FEATURES, MobileNetV3, type MobileNetV3Arch } from './mobilenetv3.js';

export interface NetOptions {
  /**
   * Builds the module that replaces torchvision's final Linear (at the family's headPath) from its input width.
   * torchvision's Linear is still built and initialised first (then freed), so that the random numbers drawn
   * match the PyTorch code that replaces the head of a torchvision model; the family Dropout right before it
   * (dropoutPath) then gets p = 0. Without it the network is torchvision's, 1000 classes.
   */
  head?: (inFeatures: number) => Module;
  /** Leaves out the family's own initialisation where it is costly (ConvNeXt's trunc_normal_ over 28-50 M weights)
   *  for a network whose every weight is loaded right after (a model file); the layers' default draws remain. */
  skipInit?: boolean;
}

export interface FamilyBuilder {
  create(arch: Arch, o: NetOptions): StagedNet;
  /** The architecture of a state_dict of this family; undefined when the keys belong to another family; throws
   *  (naming what was found) for a state_dict of this family that matches none of its architectures. */
  recognise(records: StateDictRecords, source: string): Arch | undefined;
}

export const FAMILY_BUILDERS: Partial<Record<FamilyName, FamilyBuilder>> = {
  resnet: {
    create: (arch, o) => new ResNet(arch as ResNetArch, o),
    recognise: (records, source) => (records.has('conv1.weight') && records.has('layer1.0.conv1.weight') ? inferResNetArch(records, source) : undefined),
  },
  // Before EfficientNet: ConvNeXt's keys (features.1.0.block.0.weight) have the shape of EfficientNet's too.
  convnext: { create: (arch, o) => new ConvNeXt(arch, o), recognise: recogniseConvNeXt },
  regnet: { create: (arch, o) => new RegNet(arch, o), recognise: recogniseRegNet },
  vit: { create: (arch, o) => new VisionTransformer(arch, o), recognise: recogniseViT },
  efficientnet: {
    create: (arch, o) => new EfficientNet(arch as EfficientNetArch, o),
    recognise: (records, source) => {
      // features.<stage>.<block>.block.… (MobileNetV3 has no block index: features.<i>.block.…).
      const blocks: number[] = [];
      let lastIndex = -1;
      for (const k of records.keys()) {
        const m = /^features\.(\d+)\.(\d+)\.block\./.exec(k);
        if (m) blocks[Number(m[1]) - 1] = Math.max(blocks[Number(m[1]) - 1] ?? 0, Number(m[2]) + 1);
        const f = /^features\.(\d+)\./.exec(k);
        if (f) lastIndex = Math.max(lastIndex, Number(f[1]));
      }
      if (blocks.length === 0) return undefined;
      const lastConv = records.get(`features.${lastIndex}.0.weight`);
      const found = `${Array.from(blocks, (b) => b ?? 0).join(',')}/${lastConv?.shape[0] ?? '?'}`;
      const hit = EFFICIENTNET_ARCHS.find((a) => efficientNetSignature(a) === found);
      if (!hit) {
        throw new Error(`${source}: an EfficientNet state_dict whose blocks per stage and final channels (${found}) match none of ` +
          `${EFFICIENTNET_ARCHS.map((a) => `${a} ${efficientNetSignature(a)}`).join('; ')}`);
      }
      return hit;
    },
  },
  mobilenet_v3: {
    create: (arch, o) => new MobileNetV3(arch as MobileNetV3Arch, o),
    recognise: (records, source) => {
      let blocks = false;
      let lastIndex = -1;
      for (const k of records.keys()) {
        if (/^features\.\d+\.block\./.test(k)) blocks = true;
        const f = /^features\.(\d+)\./.exec(k);
        if (f) lastIndex = Math.max(lastIndex, Number(f[1]));
      }
      if (!blocks || !records.has('classifier.0.weight')) return undefined;
      const hit = MOBILENET_V3_ARCHS.find((a) => MOBILENET_V3_FEATURES[a] === lastIndex + 1);
      if (!hit) throw new Error(`${source}: a MobileNetV3 state_dict with ${lastIndex + 1} feature entries (small has ${MOBILENET_V3_FEATURES.mobilenet_v3_small}, large ${MOBILENET_V3_FEATURES.mobilenet_v3_large})`);
      return hit;
    },
  },
};

/** Registers a family's builder (each family's module calls this once, at import). */
export function registerFamily(family: FamilyName, builder: FamilyBuilder): void {
  FAMILY_BUILDERS[family] = builder;
}

function builderOf(family: FamilyName): FamilyBuilder {
  const b = FAMILY_BUILDERS[family];
  if (!b) throw new Error(`the ${family} family is not built into this version of tlearn`);
  return b;
}

/** A new network of `arch` (torchvision's initialisation; with o.head the task's head at headPath). */
export function createNet(arch: Arch, o: NetOptions = {}): StagedNet {
  return builderOf(familyOf(arch)).create(arch, o);
}

/** The architecture of a plain state_dict of any family, or throws saying what was found. */
export function inferArch(records: StateDictRecords, source = 'state_dict'): Arch {
  for (const family of Object.keys(FAMILY_BUILDERS) as FamilyName[]) {
    const hit = FAMILY_BUILDERS[family]!.recognise(records, source);
    if (hit) return hit;
  }
  const first = [...records.keys()].slice(0, 5).join(', ');
  throw new Error(`${source}: not the state_dict of a known torchvision architecture (${ALL_ARCHS.join(', ')}); first keys: ${first || 'none'}`);
}
