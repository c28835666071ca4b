// Geometry and pixel transforms after decoding: the augmentation presets, torchvision's
// RandomResizedCrop parameters, colour jitter, and the ImageNet normalisation into float32 batches.
// Pixel loops run over typed arrays only (no per-pixel allocations).
import type { Rng } from './rng.js';
import type { AugmentPreset } from './types.js';
import type { Box, RawImage } from './decode.js';

export const IMAGENET_MEAN: readonly [number, number, number] = [0.485, 0.456, 0.406];
export const IMAGENET_STD: readonly [number, number, number] = [0.229, 0.224, 0.225];

/** What a preset does, in torchvision terms (applied in this order: crop, flip, jitter). */
export interface AugmentSpec {
  /** RandomResizedCrop(size, scale, ratio), replacing the eval resize; absent: the eval resize. */
  randomResizedCrop?: { scale: [number, number]; ratio: [number, number] };
  /** RandomHorizontalFlip(p=0.5). */
  flip: boolean;
  /** ColorJitter(brightness=j, contrast=j, saturation=j). */
  jitter?: number;
}

export const AUGMENT_SPECS: Record<AugmentPreset, AugmentSpec> = {
  none: { flip: false },
  flip: { flip: true },
  light: { randomResizedCrop: { scale: [0.8, 1], ratio: [3 / 4, 4 / 3] }, flip: true },
  standard: { randomResizedCrop: { scale: [0.08, 1], ratio: [3 / 4, 4 / 3] }, flip: true, jitter: 0.2 },
};

/**
 * True when everything before the flip is deterministic, so the resized uint8 image can be cached
 * and a network's features can be cached per view (image index + flip flag).
 */
export function isViewDeterministic(preset: AugmentPreset): boolean {
  return AUGMENT_SPECS[preset].randomResizedCrop === undefined && AUGMENT_SPECS[preset].jitter === undefined;
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

const clamp01 = (v: number) => (v < 0 ? 0 : v > 1 ? 1 : v);

/**
 * Applies colour jitter to an RGB image, returning [0,1] floats HWC. Follows torchvision's tensor ops:
 * brightness scales; contrast blends with the mean grey level of the image; saturation blends with
 * each pixel's grey (ITU-R 601 weights 0.2989/0.587/0.114, as rgb_to_grayscale); each result clamped to [0,1].
 */
export function applyJitter(img: RawImage, p: JitterParams, out?: Float32Array): Float32Array {
  const n = img.width * img.height;
  const f = out && out.length >= n * 3 ? out : new Float32Array(n * 3);
  const src = img.data;
  for (let i = 0; i < n * 3; i++) f[i] = src[i]! / 255;
  for (const op of p.order) {
    if (op === 0) {
      const b = p.brightness;
      for (let i = 0; i < n * 3; i++) f[i] = clamp01(f[i]! * b);
    } else if (op === 1) {
      let sum = 0;
      for (let i = 0; i < n; i++) sum += 0.2989 * f[3 * i]! + 0.587 * f[3 * i + 1]! + 0.114 * f[3 * i + 2]!;
      const mean = sum / n, c = p.contrast;
      for (let i = 0; i < n * 3; i++) f[i] = clamp01(c * f[i]! + (1 - c) * mean);
    } else {
      const s = p.saturation;
      for (let i = 0; i < n; i++) {
        const r = f[3 * i]!, g = f[3 * i + 1]!, b = f[3 * i + 2]!;
        const grey = (1 - s) * (0.2989 * r + 0.587 * g + 0.114 * b);
        f[3 * i] = clamp01(s * r + grey); f[3 * i + 1] = clamp01(s * g + grey); f[3 * i + 2] = clamp01(s * b + grey);
      }
    }
  }
  return f;
}

/** Per-channel lookup tables uint8 -> (v/255 - mean)/std, so normalising a pixel is one table read. */
export class Normalizer {
  readonly mean: readonly [number, number, number];
  readonly std: readonly [number, number, number];
  private readonly lut: Float32Array;

  constructor(mean: readonly [number, number, number] = IMAGENET_MEAN, std: readonly [number, number, number] = IMAGENET_STD) {
    for (const s of std) if (!(s > 0)) throw new Error(`normalisation std must be positive, got ${std.join(',')}`);
    this.mean = mean; this.std = std;
    this.lut = new Float32Array(768);
    // Same float32 arithmetic order as ToTensor (v/255 in float32) then Normalize ((x - m) / s).
    const f = Math.fround;
    for (let c = 0; c < 3; c++) {
      for (let v = 0; v < 256; v++) this.lut[c * 256 + v] = f(f(f(v / 255) - f(mean[c]!)) / f(std[c]!));
    }
  }

  /**
   * Writes one size×size image into `out` at item `slot`: NCHW ([n,3,h,w]) or, with channelsLast, NHWC.
   * `flip` mirrors horizontally while copying (no extra buffer).
   */
  writeUint8(img: RawImage, out: Float32Array, slot: number, flip: boolean, channelsLast: boolean): void {
    const { width: w, height: h, data } = img;
    const plane = w * h, base = slot * plane * 3;
    if (out.length < base + plane * 3) throw new Error('normalise: output buffer too small');
    if (data.length < plane * 3) throw new Error('normalise: image buffer too small');
    const lut = this.lut; // one table, channel c at offset 256*c (faster in V8 than three subarray views)
    // Four specialised loops: no per-pixel branches on layout or flip.
    if (!channelsLast && !flip) {
      const o1 = base + plane, o2 = base + 2 * plane;
      for (let p = 0, s = 0; p < plane; p++, s += 3) {
        out[base + p] = lut[data[s]!]!; out[o1 + p] = lut[256 + data[s + 1]!]!; out[o2 + p] = lut[512 + data[s + 2]!]!;
      }
    } else if (!channelsLast) {
      const o1 = base + plane, o2 = base + 2 * plane;
      for (let y = 0; y < h; y++) {
        const row = y * w;
        for (let x = 0, s = (row + w - 1) * 3; x < w; x++, s -= 3) {
          const p = row + x;
          out[base + p] = lut[data[s]!]!; out[o1 + p] = lut[256 + data[s + 1]!]!; out[o2 + p] = lut[512 + data[s + 2]!]!;
        }
      }
    } else if (!flip) {
      for (let s = 0; s < plane * 3; s += 3) {
        out[base + s] = lut[data[s]!]!; out[base + s + 1] = lut[256 + data[s + 1]!]!; out[base + s + 2] = lut[512 + data[s + 2]!]!;
      }
    } else {
      for (let y = 0; y < h; y++) {
        const row = y * w;
        for (let x = 0, s = (row + w - 1) * 3; x < w; x++, s -= 3) {
          const o = base + (row + x) * 3;
          out[o] = lut[data[s]!]!; out[o + 1] = lut[256 + data[s + 1]!]!; out[o + 2] = lut[512 + data[s + 2]!]!;
        }
      }
    }
  }

  /** Same as writeUint8 for [0,1] float HWC pixels (after colour jitter). */
  writeFloat(pix: Float32Array, w: number, h: number, out: Float32Array, slot: number, flip: boolean, channelsLast: boolean): void {
    const plane = w * h, base = slot * plane * 3;
    if (out.length < base + plane * 3) throw new Error('normalise: output buffer too small');
    const [m0, m1, m2] = this.mean, [s0, s1, s2] = this.std;
    for (let y = 0; y < h; y++) {
      const rowIn = y * w;
      for (let x = 0; x < w; x++) {
        const sx = flip ? w - 1 - x : x;
        const s = (rowIn + sx) * 3, p = rowIn + x;
        const r = (pix[s]! - m0) / s0, g = (pix[s + 1]! - m1) / s1, b = (pix[s + 2]! - m2) / s2;
        if (channelsLast) { const o = base + p * 3; out[o] = r; out[o + 1] = g; out[o + 2] = b; }
        else { out[base + p] = r; out[base + plane + p] = g; out[base + 2 * plane + p] = b; }
      }
    }
  }
}
