// PIL-compatible bilinear resampling along one axis, on 8-bit RGB.
//
// Why this exists: libvips resamples *down* the way PIL does (an antialiased triangle filter centred on
// pixel centres), but *up* it places samples half an output pixel off PIL's grid, which visibly shifts
// small images (Fashion-MNIST's 28×28 → 224 is all upsampling). Upsampled axes therefore go through this
// file, which follows Pillow's ImagingResample (precomputed normalised triangle weights, 22-bit fixed
// point, round half up, clip to 0..255), so upscales match torchvision's `Resize` exactly. The weights are
// worked out here (a few per output row or column); the pixel arithmetic runs in libtorch.
import { full, noGrad, scope, tensor } from '../torch/index.js';
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

/**
 * Resamples one axis (0: height, 1: width) of an RGB image in libtorch. Pillow sums pixel × 22-bit weight in
 * integers; here the same products and sums are exact float64 integers (below 2^53), so floor(sum / 2^22)
 * equals Pillow's shift bit for bit. Each tap is a gather along the axis times its weights.
 */
function resampleAxis(img: RawImage, axis: 0 | 1, outSize: number): RawImage {
  const inSize = axis === 0 ? img.height : img.width;
  const { bounds, weights, taps } = coefficients(inSize, outSize);
  const bshape = axis === 0 ? [outSize, 1, 1] : [1, outSize, 1];
  const data = scope(() => noGrad(() => {
    const x = tensor(img.data, { shape: [img.height, img.width, 3] }).to('float64');
    let acc = full([axis === 0 ? outSize : img.height, axis === 0 ? img.width : outSize, 3], 1 << (PRECISION_BITS - 1), { dtype: 'float64' });
    for (let t = 0; t < taps; t++) {
      const index = new BigInt64Array(outSize), weight = new Float64Array(outSize);
      for (let o = 0; o < outSize; o++) {
        const xmin = bounds[2 * o]!, n = bounds[2 * o + 1]!;
        index[o] = BigInt(t < n ? xmin + t : xmin); // taps past the window weigh 0
        weight[o] = t < n ? weights[o * taps + t]! : 0;
      }
      acc = acc.add_(x.indexSelect(axis, tensor(index)).mul(tensor(weight, { shape: bshape })));
    }
    return acc.div_(1 << PRECISION_BITS).floor().clamp(0, 255).to('uint8').data<'uint8'>();
  }));
  return axis === 0 ? { data, width: img.width, height: outSize } : { data, width: outSize, height: img.height };
}

/** Resamples the width of an RGB image to outWidth (Pillow's bilinear, exactly). */
export function resampleWidth(img: RawImage, outWidth: number): RawImage {
  return outWidth === img.width ? img : resampleAxis(img, 1, outWidth);
}

/** Resamples the height of an RGB image to outHeight (Pillow's bilinear, exactly). */
export function resampleHeight(img: RawImage, outHeight: number): RawImage {
  return outHeight === img.height ? img : resampleAxis(img, 0, outHeight);
}
