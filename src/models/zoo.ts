// The backbone zoo as plain data (no engine import: metadata.ts, the config and src/deploy read it).
//
// CONTRACT for a family (what part of the zoo a new family must provide; names here are stable):
//  1. A row per architecture in ARCH_INFO below: its family, torchvision's parameter count (1000-class head),
//     the default image size / resize / interpolation of torchvision's ImageNet weights' eval transform, and
//     `lastStage`, the module-name prefixes phase 2 unfreezes (the `last_stage` alias).
//  2. A row in FAMILY_INFO: `headPath`, the module path of torchvision's final Linear, which the task's head
//     (Sequential(Dropout(p), Linear(in, K)[, Sigmoid])) replaces at the same place, and `dropoutPath`, a
//     family Dropout right before it that is set to p = 0 so that one Dropout(p) remains (undefined: none).
//  3. The network, a StagedNet subclass (src/models/staged.ts): torchvision's modules registered in
//     torchvision's order, split into named stages (lower-case letters and digits, the last one holding the
//     head), constructed with `{ head }` to put the task's head at headPath.
//  4. A FamilyBuilder registered in src/models/families.ts: `create(arch, { head })` and `recognise(records)`
//     (the architecture of a plain state_dict of this family, undefined when the keys are another family's).
//  5. Pretrained weights rows in src/io/weights.ts (torchvision's files, SHA-256 prefix in the name).
//  6. ONNX emitters for the family's module classes (src/export/onnx/<family>.ts, imported by index.ts).
import type { ResNetArch } from './archs.js';

export type FamilyName = 'resnet' | 'efficientnet' | 'mobilenet_v3' | 'convnext' | 'regnet' | 'vit';

export interface ArchInfo {
  family: FamilyName;
  /** torchvision's parameter count with the 1000-class head. */
  numParams: number;
  /** torchvision's eval transform of the default ImageNet weights: center crop (the default image size) and resize of the short side. */
  imageSize: number;
  resizeSize: number;
  interpolation: 'bilinear' | 'bicubic';
  /** Module-name prefixes of phase 2's "last stage" (the `last_stage` alias of `trainable`). */
  lastStage: readonly string[];
  /** The network takes only imageSize (ViT: its position embedding has one token per patch of that size). */
  fixedImageSize?: boolean;
}

export interface FamilyInfo {
  /** torchvision's final Linear, replaced by the task's head at the same place ('fc', 'classifier.1', ...). */
  headPath: string;
  /** A Dropout right before it, set to p = 0 (torchvision's own p is kept nowhere: the head's Dropout replaces it). */
  dropoutPath?: string;
}

export const FAMILY_INFO: Readonly<Record<FamilyName, FamilyInfo>> = Object.freeze({
  resnet: { headPath: 'fc' },
  efficientnet: { headPath: 'classifier.1', dropoutPath: 'classifier.0' },
  mobilenet_v3: { headPath: 'classifier.3', dropoutPath: 'classifier.2' },
  convnext: { headPath: 'classifier.2' },
  regnet: { headPath: 'fc' },
  vit: { headPath: 'heads.head' },
});

const resnet = (numParams: number, resizeSize = 232): ArchInfo =>
  ({ family: 'resnet', numParams, imageSize: 224, resizeSize, interpolation: 'bilinear', lastStage: ['layer4'] });
const features = (from: number, to: number): string[] => Array.from({ length: to - from + 1 }, (_, i) => `features.${from + i}`);

export const ARCH_INFO = Object.freeze({
  // ResNet: layer4 (the last resolution stage); resize 232 is the V2 weights' (V1: 256).
  resnet18: resnet(11_689_512, 256),
  resnet34: resnet(21_797_672, 256),
  resnet50: resnet(25_557_032),
  resnet101: resnet(44_549_160),
  resnet152: resnet(60_192_808),
  // EfficientNet: features.0 stem, features.1-7 the MBConv stages, features.8 the 1x1 conv to 1280 (b0) channels.
  // The last stage is the last resolution (stride 32): stages 6 and 7 plus the final conv (as ResNet's layer4).
  efficientnet_b0: { family: 'efficientnet', numParams: 5_288_548, imageSize: 224, resizeSize: 256, interpolation: 'bicubic', lastStage: features(6, 8) },
  efficientnet_b1: { family: 'efficientnet', numParams: 7_794_184, imageSize: 240, resizeSize: 255, interpolation: 'bilinear', lastStage: features(6, 8) },
  efficientnet_b2: { family: 'efficientnet', numParams: 9_109_994, imageSize: 288, resizeSize: 288, interpolation: 'bicubic', lastStage: features(6, 8) },
  efficientnet_b3: { family: 'efficientnet', numParams: 12_233_232, imageSize: 300, resizeSize: 320, interpolation: 'bicubic', lastStage: features(6, 8) },
  // V2-S: features.1-6 the stages, features.7 the final conv; stride 32 is stage 6 (+ the final conv).
  efficientnet_v2_s: { family: 'efficientnet', numParams: 21_458_488, imageSize: 384, resizeSize: 384, interpolation: 'bilinear', lastStage: features(6, 7) },
  // MobileNetV3: features are single blocks; stride 32 are the last three (96 / 160 channels) plus the final
  // conv, and classifier.0, the Linear before the head (576 -> 1024, 960 -> 1280), trains with them.
  mobilenet_v3_small: { family: 'mobilenet_v3', numParams: 2_542_856, imageSize: 224, resizeSize: 256, interpolation: 'bilinear', lastStage: [...features(9, 12), 'classifier.0'] },
  mobilenet_v3_large: { family: 'mobilenet_v3', numParams: 5_483_032, imageSize: 224, resizeSize: 232, interpolation: 'bilinear', lastStage: [...features(13, 16), 'classifier.0'] },
  // ConvNeXt: features.0 stem, odd entries the stages, even ones (2, 4, 6) the downsampling between them. The last
  // stage is stride 32: the downsampling into it, its blocks, and classifier.0 (the LayerNorm2d the head reads).
  convnext_tiny: { family: 'convnext', numParams: 28_589_128, imageSize: 224, resizeSize: 236, interpolation: 'bilinear', lastStage: ['features.6', 'features.7', 'classifier.0'] },
  convnext_small: { family: 'convnext', numParams: 50_223_688, imageSize: 224, resizeSize: 230, interpolation: 'bilinear', lastStage: ['features.6', 'features.7', 'classifier.0'] },
  // RegNetY: trunk_output.block4 is the stride-32 stage (as ResNet's layer4); resize 232 is the V2 weights' (V1: 256).
  regnet_y_400mf: { family: 'regnet', numParams: 4_344_144, imageSize: 224, resizeSize: 232, interpolation: 'bilinear', lastStage: ['trunk_output.block4'] },
  regnet_y_1_6gf: { family: 'regnet', numParams: 11_202_430, imageSize: 224, resizeSize: 232, interpolation: 'bilinear', lastStage: ['trunk_output.block4'] },
  regnet_y_3_2gf: { family: 'regnet', numParams: 19_436_338, imageSize: 224, resizeSize: 232, interpolation: 'bilinear', lastStage: ['trunk_output.block4'] },
  // ViT-B/16: the last quarter of the encoder (layers 9-11, about as many blocks as ResNet50's layer4) and encoder.ln.
  // The position embedding fixes the image size at 224.
  vit_b_16: {
    family: 'vit', numParams: 86_567_656, imageSize: 224, resizeSize: 256, interpolation: 'bilinear', fixedImageSize: true,
    lastStage: ['encoder.layers.encoder_layer_9', 'encoder.layers.encoder_layer_10', 'encoder.layers.encoder_layer_11', 'encoder.ln'],
  },
} satisfies Record<string, ArchInfo>);

export type Arch = keyof typeof ARCH_INFO;
export const ALL_ARCHS = Object.freeze(Object.keys(ARCH_INFO) as Arch[]);

export function isArch(x: unknown): x is Arch {
  return typeof x === 'string' && Object.hasOwn(ARCH_INFO, x);
}
export function checkAnyArch(arch: unknown, what = 'arch'): Arch {
  if (!isArch(arch)) throw new Error(`${what}: unknown architecture ${JSON.stringify(arch)}; expected one of ${ALL_ARCHS.join(', ')}`);
  return arch;
}
export const archInfo = (arch: Arch): ArchInfo => ARCH_INFO[arch];
export const familyOf = (arch: Arch): FamilyName => ARCH_INFO[arch].family;
export const familyInfo = (arch: Arch): FamilyInfo => FAMILY_INFO[familyOf(arch)];
export const isResNetFamily = (arch: Arch): arch is ResNetArch => familyOf(arch) === 'resnet';

/** Whether a name is a stage of some family (the feature cache's spill folders are named after them). */
export function isStageName(s: string): boolean {
  return /^(stem|layer\d+|pool|fc|features\d+|prehead|head|block\d+|classifier|embed|ln)$/.test(s);
}

/** The `trainable` aliases: `head` (the task's head, at the family's headPath) and `last_stage` (phase 2's). */
export const TRAINABLE_ALIASES = ['head', 'last_stage'] as const;

/** `trainable` names with the aliases replaced by the architecture's module prefixes (duplicates dropped, order kept). */
export function expandTrainable(names: readonly string[], arch: Arch): string[] {
  const out: string[] = [];
  for (const n of names) {
    const expanded = n === 'head' ? [familyInfo(arch).headPath] : n === 'last_stage' ? [...ARCH_INFO[arch].lastStage] : [n];
    for (const e of expanded) if (!out.includes(e)) out.push(e);
  }
  return out;
}
