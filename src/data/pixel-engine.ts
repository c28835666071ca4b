// The pixel arithmetic of decoding, and the library that runs it. Decoding itself is sharp's; two steps around it
// are arithmetic over every pixel: the PIL-exact upsampling (resample.ts) and a DICOM image's rescale and window
// (dicom.ts). They run in an engine: libtorch by default (pixels-torch.ts, imported on first use, so that importing
// the decoder loads no native addon), or onnxruntime (pixels-onnx.ts) where libtorch is absent. Both compute in
// float64 with the same rounding, so they give the same bytes.
import type { RawImage } from './raw-image.js';

/** The fixed-point precision of Pillow's 8-bit resampling weights. */
export const PRECISION_BITS = 32 - 8 - 2;

/**
 * An affine map of pixel values to bytes, with an optional logistic curve: y = offset + scale·x, then (sigmoid)
 * y = 255·σ(y), then (invert) y = 255 − y; rounded half to even and clipped to 0..255.
 */
export interface ByteMap { scale: number; offset: number; sigmoid: boolean; invert: boolean }

export interface PixelEngine {
  readonly name: string;
  /**
   * One axis of a resample: for each output o along `axis` (0: height, 1: width) and each pixel of the other axis
   * and channel, clip(floor((2^21 + Σ_t img[index[t, o]] * weight[t, o]) / 2^22), 0, 255) as uint8. `index` and
   * `weight` are [taps, outSize] row-major; the result is the image with `outSize` along `axis`.
   */
  gatherSum(img: RawImage, axis: 0 | 1, index: BigInt64Array, weight: Float64Array, taps: number, outSize: number): Promise<Uint8Array>;
  /** The smallest and largest of `values` (not empty). */
  extent(values: Float64Array): Promise<{ min: number; max: number }>;
  /** `values` mapped to bytes by `map`. */
  toBytes(values: Float64Array, map: ByteMap): Promise<Uint8Array>;
}

/** libtorch's engine, loaded on first use. */
const torchEngine: PixelEngine = {
  name: 'libtorch',
  async gatherSum(...args) { return (await import('./pixels-torch.js')).torchPixelEngine.gatherSum(...args); },
  async extent(values) { return (await import('./pixels-torch.js')).torchPixelEngine.extent(values); },
  async toBytes(values, map) { return (await import('./pixels-torch.js')).torchPixelEngine.toBytes(values, map); },
};

let engine: PixelEngine = torchEngine;

/**
 * Chooses the engine of every later pixel computation in this process (null: libtorch again). Both give identical
 * bytes, so the choice changes only which library computes them: tlearn's ONNX prediction (src/deploy) selects
 * onnxruntime, so that it runs where libtorch is not installed.
 */
export function setPixelEngine(e: PixelEngine | null): void {
  engine = e ?? torchEngine;
}

/** The engine pixel computations run in now. */
export function pixelEngine(): PixelEngine {
  return engine;
}
