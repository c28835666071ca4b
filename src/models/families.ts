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
