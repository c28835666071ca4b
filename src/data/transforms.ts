// What happens to an image after decoding, as parameters: the augmentation presets, torchvision's
// RandomResizedCrop box and the colour-jitter factors, and the ImageNet normalisation constants. The
// pixel arithmetic itself (flip, jitter, normalisation) runs in libtorch: data/tensor.ts.
import type { Rng } from './rng.js';
import type { AugmentPreset } from './types.js';
import type { AutoAugmentPolicy } from './auto-augment-draw.js';
import type { Box } from './decode.js';

export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];

/** What a preset does, in torchvision terms (applied in this order: crop, flip, automatic augmentation, jitter). */
export interface AugmentSpec {
  /** RandomResizedCrop(size, scale, ratio), replacing the eval resize; absent: the eval resize. */
  randomResizedCrop?: { scale: [number, number]; ratio: [number, number] };
  /** RandomHorizontalFlip(p=0.5). */
  flip: boolean;
  /** Then k ~ U{0, 1, 2, 3} quarter turns (torch.rot90): with the flip, the 8 symmetries of a square (orientation.ts). */
  turns?: boolean;
  /** ColorJitter(brightness=j, contrast=j, saturation=j). */
  jitter?: number;
  /** TrivialAugmentWide() or RandAugment(): torchvision's automatic augmentation policies (auto-augment.ts). */
  autoAugment?: AutoAugmentPolicy;
}

export const AUGMENT_SPECS: Record<AugmentPreset, AugmentSpec> = {
  none: { flip: false },
  flip: { flip: true },
  light: { randomResizedCrop: { scale: [0.8, 1], ratio: [3 / 4, 4 / 3] }, flip: true },
  standard: { randomResizedCrop: { scale: [0.08, 1], ratio: [3 / 4, 4 / 3] }, flip: true, jitter: 0.2 },
  // fastai's dihedral: every flip and quarter turn, for images without an up (microscopy, histology, wafers).
  dihedral: { flip: true, turns: true },
  // torchvision's classification recipe with --auto-augment ta_wide or ra: crop, flip, then the policy.
  trivial: { randomResizedCrop: { scale: [0.08, 1], ratio: [3 / 4, 4 / 3] }, flip: true, autoAugment: 'trivial' },
  randaugment: { randomResizedCrop: { scale: [0.08, 1], ratio: [3 / 4, 4 / 3] }, flip: true, autoAugment: 'randaugment' },
};

/**
 * True when everything before the flip is deterministic, so the resized uint8 image can be cached
 * and a network's features can be cached per view (image index + orientation).
 */
export function isViewDeterministic(preset: AugmentPreset): boolean {
  const spec = AUGMENT_SPECS[preset];
  return spec.randomResizedCrop === undefined && spec.jitter === undefined && spec.autoAugment === undefined;
}

/**
 * torchvision RandomResizedCrop.get_params: up to 10 tries of a random area fraction and log-uniform
 * aspect ratio; if none fits, a centre crop with the ratio clamped into range.
 */
export function randomResizedCropBox(rng: Rng, width: number, height: number,
  scale: [number, number], ratio: [number, number]): Box {
  const area = width * height;
  const logLo = Math.log(ratio[0]), logHi = Math.log(ratio[1]);
  for (let attempt = 0; attempt < 10; attempt++) {
    const targetArea = area * rng.uniform(scale[0], scale[1]);
    const aspect = Math.exp(rng.uniform(logLo, logHi));
    const w = Math.round(Math.sqrt(targetArea * aspect));
    const h = Math.round(Math.sqrt(targetArea / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      return { left: rng.int(0, width - w), top: rng.int(0, height - h), width: w, height: h };
    }
  }
  const inRatio = width / height;
  let w: number, h: number;
  if (inRatio < Math.min(ratio[0], ratio[1])) { w = width; h = Math.round(w / Math.min(ratio[0], ratio[1])); }
  else if (inRatio > Math.max(ratio[0], ratio[1])) { h = height; w = Math.round(h * Math.max(ratio[0], ratio[1])); }
  else { w = width; h = height; }
  w = Math.max(1, Math.min(w, width)); h = Math.max(1, Math.min(h, height));
  return { left: Math.floor((width - w) / 2), top: Math.floor((height - h) / 2), width: w, height: h };
}

/** Jitter factors drawn for one image: each uniform in [1-j, 1+j], applied in a random order (as torchvision). */
export interface JitterParams { order: number[]; brightness: number; contrast: number; saturation: number }

export function drawJitter(rng: Rng, j: number): JitterParams {
  const order = rng.permutation(3); // 0 brightness, 1 contrast, 2 saturation
  const lo = Math.max(0, 1 - j), hi = 1 + j;
  return { order, brightness: rng.uniform(lo, hi), contrast: rng.uniform(lo, hi), saturation: rng.uniform(lo, hi) };
}
