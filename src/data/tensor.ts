// Hands a loader batch to the engine. The loader delivers uint8 RGB pixels; everything numeric happens
// here, in libtorch, with torchvision's own operations in its order: each image's horizontal flip and quarter turns
// (torch.rot90), its TrivialAugment or RandAugment operations (on the uint8 image, auto-augment.ts), ToTensor (`x.float().div(255)`),
// colour jitter (adjust_brightness/contrast/saturation on float tensors), Normalize (`sub_(mean).div_(std)`), then
// random erasing (a box set to 0).
import { noGrad, scope, tensor, type Tensor } from '../torch/index.js';
import type { Batch } from './loader.js';
import { orient } from './orientation.js';
import type { JitterParams } from './transforms.js';
import { applyAutoAugment } from './auto-augment.js';

/** What the conversion needs of a batch (a loader Batch has all of it). */
export type PixelBatch = Pick<Batch, 'pixels' | 'shape' | 'layout' | 'jitter' | 'mean' | 'std'> & Partial<Pick<Batch, 'autoAugment' | 'erase'>> &
  { views: ReadonlyArray<{ flip: boolean; turns?: number }> };

export interface BatchTensors {
  /** [n, 3, h, w] float32; channels-last memory when the batch's layout is NHWC. */
  x: Tensor;
  /** [n, 1] float32 labels 0/1 (NaN where unknown). */
  y: Tensor;
}

/** torchvision rgb_to_grayscale: 0.2989 R + 0.587 G + 0.114 B, one channel kept. */
function grayscale(img: Tensor): Tensor {
  const [r, g, b] = [0, 1, 2].map((c) => img.narrow(1, c, 1));
  return r!.mul(0.2989).add(g!.mul(0.587)).add(b!.mul(0.114));
}

/** torchvision _blend: (ratio * img + (1 - ratio) * other), clamped to [0, 1]. */
function blend(img: Tensor, other: Tensor | null, ratio: number): Tensor {
  const scaled = img.mul(ratio);
  return (other ? scaled.add(other.mul(1 - ratio)) : scaled).clamp(0, 1);
}

/** ColorJitter on one [1, 3, h, w] image in [0, 1], in the order drawn for it. */
function jitterImage(img: Tensor, p: JitterParams): Tensor {
  let x = img;
  for (const op of p.order) {
    if (op === 0) x = blend(x, null, p.brightness);
    else if (op === 1) x = blend(x, grayscale(x).mean([1, 2, 3], true), p.contrast);
    else x = blend(x, grayscale(x), p.saturation);
  }
  return x;
}

/**
 * A batch's images as a normalised [n, 3, h, w] float32 tensor on `device` (the pixels travel as uint8 and
 * are converted there). Free it with dispose() or inside a scope.
 */
export function imagesTensor(b: PixelBatch, device = 'cpu'): Tensor {
  const [n, c, h, w] = b.shape;
  if (b.pixels.length !== n * h * w * c) throw new Error(`batch: ${b.pixels.length} pixel bytes for shape [${b.shape.join(', ')}]`);
  return scope(() => noGrad(() => {
    let u8 = tensor(b.pixels, { shape: [n, h, w, c] });
    if (device !== 'cpu') u8 = u8.to(device);
    // Arrange the memory while it is still one byte per value; in-place ops below keep it.
    const chw = u8.permute(0, 3, 1, 2);
    const x = (b.layout === 'nhwc' ? chw.contiguous(true) : chw.contiguous()).float().div(255);
    for (let i = 0; i < n; i++) {
      const flip = b.views[i]?.flip ?? false;
      const turns = b.views[i]?.turns ?? 0;
      const jitter = b.jitter[i] ?? null, auto = b.autoAugment?.[i] ?? null;
      if (!flip && !turns && !jitter && !auto) continue;
      // Flips and turns move pixels, so they commute with ToTensor; the automatic augmentations work on uint8.
      let img = auto ? chw.narrow(0, i, 1) : x.narrow(0, i, 1);
      if (flip || turns) img = orient(img, { flip, turns });
      if (auto) img = applyAutoAugment(img, auto).float().div(255);
      if (jitter) img = jitterImage(img, jitter);
      x.narrow(0, i, 1).copy_(img);
    }
    const stat = (v: readonly number[]) => tensor(Float32Array.from(v), { shape: [1, 3, 1, 1], device });
    x.sub_(stat(b.mean)).div_(stat(b.std));
    // Random erasing (torchvision's RandomErasing, value 0): after Normalize, the box takes the mean colour.
    for (const [i, box] of (b.erase ?? []).entries()) {
      if (box) x.narrow(0, i, 1).narrow(2, box.top, box.height).narrow(3, box.left, box.width).zero_();
    }
    return x;
  }));
}

/** 0/1 labels (NaN where unknown) as a [n, 1] float32 tensor on `device`. */
export function labelsTensor(labels: Float32Array, device = 'cpu'): Tensor {
  return scope(() => {
    const t = tensor(labels, { shape: [labels.length, 1] });
    return device === 'cpu' ? t : t.to(device);
  });
}

/** Copies a batch into tensors (on `device`, default the CPU). Free them with dispose() or inside a scope. */
export function batchTensors(batch: PixelBatch & Pick<Batch, 'y'>, device = 'cpu'): BatchTensors {
  return { x: imagesTensor(batch, device), y: labelsTensor(batch.y, device) };
}
