// The random draws of one training view of an image, in their fixed order on the image's seeded stream: the
// orientation (the flip, then quarter turns), the random-resized crop's box, the colour jitter, the automatic
// augmentation, and random erasing last. The order is part of every run's reproducibility (a resume draws the same
// views): a new draw goes after the others. Plain numbers; the loader does the decoding.
import type { Box } from './decode.js';
import { drawErasing, type ErasingSpec } from './erasing.js';
import type { Orientation } from './orientation.js';
import type { Rng } from './rng.js';
import { drawJitter, randomResizedCropBox, type AugmentSpec, type JitterParams } from './transforms.js';
import { drawAutoAugment, RAND_AUGMENT, type AutoAugmentDraw, type RandAugmentParams } from './auto-augment-draw.js';

/** An image's orientation from its augmentation stream: the flip is the first draw, the quarter turns the second. */
export function drawOrientation(spec: { flip: boolean; turns?: boolean }, rng: Rng): Orientation {
  const flip = spec.flip ? rng.next() < 0.5 : false;
  return { flip, turns: spec.turns ? Math.floor(rng.next() * 4) : 0 };
}

export interface ViewDraws {
  /** The crop of the (base) image, for presets with a random-resized crop. */
  box?: Box;
  jitter?: JitterParams;
  autoAugment?: AutoAugmentDraw;
  erase: Box | null;
}

/** What a training view draws beyond its preset: random erasing (null: none) and RandAugment's parameters. */
export interface ViewExtras { erasing: ErasingSpec | null; randAugment?: RandAugmentParams }

/**
 * Everything a view draws after its orientation: `base` is the size of the image the crop is taken from (null for
 * presets without one), on an imageSize-square input.
 */
export function drawView(spec: AugmentSpec, rng: Rng, base: { width: number; height: number } | null, imageSize: number, extras: ViewExtras): ViewDraws {
  const { erasing, randAugment = RAND_AUGMENT } = extras;
  drawOrientation(spec, rng);
  const crop = spec.randomResizedCrop && base ? spec.randomResizedCrop : null;
  const box = crop ? randomResizedCropBox(rng, base!.width, base!.height, crop.scale, crop.ratio) : undefined;
  const jitter = crop && spec.jitter ? drawJitter(rng, spec.jitter) : undefined;
  const autoAugment = crop && spec.autoAugment ? drawAutoAugment(rng, spec.autoAugment, randAugment) : undefined;
  return { box, jitter, autoAugment, erase: erasing ? drawErasing(rng, erasing, imageSize, imageSize) : null };
}
