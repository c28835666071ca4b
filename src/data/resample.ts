// PIL-compatible bilinear resampling along one axis, on 8-bit RGB.
//
// Why this exists: libvips resamples *down* the way PIL does (an antialiased triangle filter centred on
// pixel centres), but *up* it places samples half an output pixel off PIL's grid, which visibly shifts
// small images (Fashion-MNIST's 28×28 → 224 is all upsampling). Upsampled axes therefore go through this
// loop, which follows Pillow's ImagingResample (precomputed normalised triangle weights, 22-bit fixed
// point, round half up, clip to 0..255), so upscales match torchvision's `Resize` exactly.
import type { RawImage } from './decode.js';

const PRECISION_BITS = 32 - 8 - 2;

interface Coeffs { bounds: Int32Array; weights: Int32Array; taps: number }

/** Pillow's precompute_coeffs + normalize_coeffs_8bpp for the bilinear (triangle, support 1) filter. */
function coefficients(inSize: number, outSize: number): Coeffs {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = 1 * filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const bounds = new Int32Array(outSize * 2);
  const weights = new Int32Array(outSize * taps);
  const k = new Float64Array(taps);
  const ss = 1 / filterScale;
  for (let xx = 0; xx < outSize; xx++) {
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
      weights[xx * taps + x] = w < 0 ? Math.trunc(-0.5 + w * (1 << PRECISION_BITS)) : Math.trunc(0.5 + w * (1 << PRECISION_BITS));
    }
    bounds[2 * xx] = xmin; bounds[2 * xx + 1] = xmax;
  }
  return { bounds, weights, taps };
}

/** Resamples the width of an RGB image to outWidth. */
export function resampleWidth(img: RawImage, outWidth: number): RawImage {
  const { width: w, height: h, data } = img;
  if (outWidth === w) return img;
  const { bounds, weights, taps } = coefficients(w, outWidth);
  const out = new Uint8Array(outWidth * h * 3);
  const half = 1 << (PRECISION_BITS - 1);
  for (let y = 0; y < h; y++) {
    const row = y * w * 3;
    const orow = y * outWidth * 3;
    for (let xx = 0; xx < outWidth; xx++) {
      const xmin = bounds[2 * xx]!, n = bounds[2 * xx + 1]!, kb = xx * taps;
      let r = half, g = half, b = half;
      for (let x = 0; x < n; x++) {
        const wgt = weights[kb + x]!, p = row + (xmin + x) * 3;
        r += data[p]! * wgt; g += data[p + 1]! * wgt; b += data[p + 2]! * wgt;
      }
      const o = orow + xx * 3;
      out[o] = clip8s(r); out[o + 1] = clip8s(g); out[o + 2] = clip8s(b);
    }
  }
  return { data: out, width: outWidth, height: h };
}

/** Resamples the height of an RGB image to outHeight. */
export function resampleHeight(img: RawImage, outHeight: number): RawImage {
  const { width: w, height: h, data } = img;
  if (outHeight === h) return img;
  const { bounds, weights, taps } = coefficients(h, outHeight);
  const stride = w * 3;
  const out = new Uint8Array(outHeight * stride);
  const half = 1 << (PRECISION_BITS - 1);
  const acc = new Float64Array(stride);
  for (let yy = 0; yy < outHeight; yy++) {
    const ymin = bounds[2 * yy]!, n = bounds[2 * yy + 1]!, kb = yy * taps;
    acc.fill(half);
    for (let y = 0; y < n; y++) {
      const wgt = weights[kb + y]!, row = (ymin + y) * stride;
      for (let i = 0; i < stride; i++) acc[i] += data[row + i]! * wgt;
    }
    const orow = yy * stride;
    for (let i = 0; i < stride; i++) out[orow + i] = clip8s(acc[i]!);
  }
  return { data: out, width: w, height: outHeight };
}

/** Pillow's clip8: the sums are exact integers in doubles (< 2^31, as in Pillow's int), so floor-divide. */
function clip8s(v: number): number {
  const s = Math.floor(v / (1 << PRECISION_BITS));
  return s < 0 ? 0 : s > 255 ? 255 : s;
}
