// The inputs of resize.onnx (written next to this file by `tlearn export --format web`): Pillow's bilinear
// coefficients (src/data/resample.ts: precompute_coeffs, normalised to 22-bit integers) for the outputs of the
// crop window only, as dense weight matrices. Only this per-output bookkeeping runs in JS; the pixel
// arithmetic (the two MatMuls, the rounding and clipping) runs in onnxruntime-web. No imports: the Node tests
// load this module as it is.

const PRECISION_BITS = 32 - 8 - 2;

/**
 * Pillow's bounds and weights for the outputs from..to-1 of an inSize → outSize resample: per output, the
 * first input, the number of inputs and their integer weights (a triangle as wide as the scale).
 */
export function coefficients(inSize, outSize, from, to) {
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = filterScale;
  const taps = Math.ceil(support) * 2 + 1;
  const n = to - from;
  const bounds = new Float64Array(n * 2);
  const weights = new Int32Array(n * taps);
  const k = new Float64Array(taps);
  for (let o = 0; o < n; o++) {
    const center = (from + o + 0.5) * scale;
    const xmin = Math.max(Math.trunc(center - support + 0.5), 0);
    const count = Math.min(Math.trunc(center + support + 0.5), inSize) - xmin;
    let sum = 0;
    for (let x = 0; x < count; x++) {
      const t = Math.abs((x + xmin - center + 0.5) / filterScale);
      k[x] = t < 1 ? 1 - t : 0;
      sum += k[x];
    }
    for (let x = 0; x < count; x++) {
      const w = sum !== 0 ? k[x] / sum : 0;
      weights[o * taps + x] = w < 0 ? Math.trunc(-0.5 + w * (1 << PRECISION_BITS)) : Math.trunc(0.5 + w * (1 << PRECISION_BITS));
    }
    bounds[2 * o] = xmin;
    bounds[2 * o + 1] = count;
  }
  return { bounds, weights, taps };
}

/**
 * One axis as a dense matrix over the inputs the window reads: the outputs from..to-1 of inSize → outSize,
 * the inputs lo..hi-1 (lo: the first one any of them reads). Entries are Pillow's integer weights / 2^22,
 * exact in float32. `transposed`: [inputs, outputs] (the width pass multiplies on the right), else
 * [outputs, inputs].
 */
function axisMatrix(inSize, outSize, from, to, transposed) {
  const { bounds, weights, taps } = coefficients(inSize, outSize, from, to);
  const n = to - from;
  const lo = bounds[0];
  const last = 2 * (n - 1);
  const hi = bounds[last] + bounds[last + 1]; // windows only move forward, so the last output reads furthest
  const m = new Float32Array(n * (hi - lo));
  for (let o = 0; o < n; o++) {
    for (let t = 0; t < bounds[2 * o + 1]; t++) {
      const i = bounds[2 * o] + t - lo;
      m[transposed ? i * n + o : o * (hi - lo) + i] = weights[o * taps + t] / (1 << PRECISION_BITS);
    }
  }
  return { lo, hi, matrix: m };
}

/**
 * What resize.onnx needs to turn a width×height RGBA image into the size×size window at (left, top) of its
 * resizeWidth×resizeHeight bilinear resample: the image's part the window reads (starts/ends of its Slice,
 * [rows, columns, channels]) and the width and height weight matrices ([columns, size] and [size, rows]).
 */
export function resizeInputs(width, height, g, size) {
  const cols = axisMatrix(width, g.resizeWidth, g.left, g.left + size, true);
  const rows = axisMatrix(height, g.resizeHeight, g.top, g.top + size, false);
  return {
    starts: [rows.lo, cols.lo, 0],
    ends: [rows.hi, cols.hi, 3],
    widthWeights: { data: cols.matrix, dims: [cols.hi - cols.lo, size] },
    heightWeights: { data: rows.matrix, dims: [size, rows.hi - rows.lo] },
  };
}
