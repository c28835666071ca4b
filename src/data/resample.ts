// PIL-compatible bilinear resampling along one axis, on 8-bit RGB.
//
// Why this exists: libvips resamples *down* the way PIL does (an antialiased triangle filter centred on
// pixel centres), but *up* it places samples half an output pixel off PIL's grid, which visibly shifts
// small images (Fashion-MNIST's 28×28 → 224 is all upsampling). Upsampled axes therefore go through this
// file, which follows Pillow's ImagingResample (precomputed normalised triangle weights, 22-bit fixed
// point, round half up, clip to 0..255), so upscales match torchvision's `Resize` exactly. The weights are
// worked out here (a few per output row or column); the pixel arithmetic (gather, multiply, sum, shift, clip)
// runs in the pixel engine (pixel-engine.ts: libtorch or onnxruntime). Every product and sum is an exact float64
// integer in both, so the engines give the same bytes.
import { pixelEngine, PRECISION_BITS } from './pixel-engine.js';
import type { RawImage } from './raw-image.js';

// bounds: (first input, count) per output; float64 because a huge output axis can address inputs past 2^31.
interface Coeffs { bounds: Float64Array; weights: Int32Array; taps: number }

/**
 * Pillow's precompute_coeffs + normalize_coeffs_8bpp for the bilinear (triangle, support 1) filter, for the
 * outputs from..to-1 of an inSize → outSize resample (entry 0 is output `from`). Each output's weights depend
 * only on its own position, so a span gives exactly the values the whole axis would.
 */
function coefficients(inSize: number, outSize: number, from = 0, to = outSize): Coeffs {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 1 * filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const n = to - from;
  const bounds = new Float64Array(n * 2);
  const weights = new Int32Array(n * taps);
  const k = new Float64Array(taps);
  const ss = 1 / filterScale;
  for (let o = 0; o < n; o++) {
    const xx = from + o;
    const center = (xx + 0.5) * scale;
    // Pillow truncates toward zero with (int) casts; the arguments here are >= -1, so trunc matches.
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const xmax = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let ww = 0;
    for (let x = 0; x < xmax; x++) {
      const t = Math.abs((x + xmin - center + 0.5) * ss);
      const w = t < 1 ? 1 - t : 0;
      k[x] = w; ww += w;
    }
    for (let x = 0; x < xmax; x++) {
      const w = ww !== 0 ? k[x]! / ww : 0;
      weights[o * taps + x] = w < 0 ? Math.trunc(-0.5 + w * (1 << PRECISION_BITS)) : Math.trunc(0.5 + w * (1 << PRECISION_BITS));
    }
    bounds[2 * o] = xmin; bounds[2 * o + 1] = xmax;
  }
  return { bounds, weights, taps };
}

/**
 * Part of one axis of a resample: the outputs [from, to) of a fullIn → fullOut resample, computed from an
 * image that holds only the inputs [inOffset, inOffset + its length) of that axis (at least sourceWindow's).
 */
export interface Span { fullIn: number; fullOut: number; inOffset: number; from: number; to: number }

/**
 * The inputs [lo, hi) that the outputs [from, to) of an inSize → outSize resample read. Windows only move
 * forward with the output position, so the first and last outputs bound them all.
 */
export function sourceWindow(inSize: number, outSize: number, from: number, to: number): { lo: number; hi: number } {
  if (!(Number.isInteger(from) && Number.isInteger(to) && from >= 0 && from < to && to <= outSize)) {
    throw new Error(`resample span [${from}, ${to}) outside 0..${outSize}`);
  }
  if (inSize === outSize) return { lo: from, hi: to };
  const first = coefficients(inSize, outSize, from, from + 1), last = coefficients(inSize, outSize, to - 1, to);
  return { lo: first.bounds[0]!, hi: last.bounds[0]! + last.bounds[1]! };
}

/**
 * Resamples one axis (0: height, 1: width) of an RGB image. Pillow sums pixel × 22-bit weight in integers;
 * the engines compute the same products and sums as exact float64 integers (below 2^53), so floor(sum / 2^22)
 * equals Pillow's shift bit for bit. Each tap is a gather along the axis times its weights. Only the span's
 * outputs are made, so memory follows the span, not the full output axis (a 1×5000 image's crop at 224 px
 * would otherwise be a 256 × 1,280,000 intermediate).
 */
async function resampleAxis(img: RawImage, axis: 0 | 1, span: Span): Promise<RawImage> {
  const have = axis === 0 ? img.height : img.width;
  const { fullIn, fullOut, inOffset, from, to } = span;
  const outSize = to - from;
  const { lo, hi } = sourceWindow(fullIn, fullOut, from, to);
  if (lo < inOffset || hi > inOffset + have) {
    throw new Error(`resample span [${from}, ${to}) needs inputs [${lo}, ${hi}), image holds [${inOffset}, ${inOffset + have})`);
  }
  if (fullIn === fullOut) return axis === 0
    ? extractRows(img, from - inOffset, outSize)
    : extractCols(img, from - inOffset, outSize);
  const { bounds, weights, taps } = coefficients(fullIn, fullOut, from, to);
  const index = new BigInt64Array(taps * outSize), weight = new Float64Array(taps * outSize);
  for (let t = 0; t < taps; t++) {
    for (let o = 0; o < outSize; o++) {
      const xmin = bounds[2 * o]! - inOffset, n = bounds[2 * o + 1]!;
      index[t * outSize + o] = BigInt(t < n ? xmin + t : xmin); // taps past the window weigh 0
      weight[t * outSize + o] = t < n ? weights[o * taps + t]! : 0;
    }
  }
  const data = await pixelEngine().gatherSum(img, axis, index, weight, taps, outSize);
  return axis === 0 ? { data, width: img.width, height: outSize } : { data, width: outSize, height: img.height };
}

function extractRows(img: RawImage, top: number, n: number): RawImage {
  if (top === 0 && n === img.height) return img;
  const row = img.width * 3;
  return { data: img.data.slice(top * row, (top + n) * row), width: img.width, height: n };
}

function extractCols(img: RawImage, left: number, n: number): RawImage {
  if (left === 0 && n === img.width) return img;
  const out = new Uint8Array(img.height * n * 3);
  for (let y = 0; y < img.height; y++) out.set(img.data.subarray((y * img.width + left) * 3, (y * img.width + left + n) * 3), y * n * 3);
  return { data: out, width: n, height: img.height };
}

const whole = (inSize: number, outSize: number): Span => ({ fullIn: inSize, fullOut: outSize, inOffset: 0, from: 0, to: outSize });

/** Resamples the width of an RGB image to outWidth (Pillow's bilinear, exactly). */
export async function resampleWidth(img: RawImage, outWidth: number): Promise<RawImage> {
  return outWidth === img.width ? img : resampleAxis(img, 1, whole(img.width, outWidth));
}

/** Resamples the height of an RGB image to outHeight (Pillow's bilinear, exactly). */
export async function resampleHeight(img: RawImage, outHeight: number): Promise<RawImage> {
  return outHeight === img.height ? img : resampleAxis(img, 0, whole(img.height, outHeight));
}

/** Only the span's part of one axis of a resample (Pillow's bilinear, exactly); the other axis is kept. */
export function resampleSpan(img: RawImage, axis: 'width' | 'height', span: Span): Promise<RawImage> {
  return resampleAxis(img, axis === 'height' ? 0 : 1, span);
}
