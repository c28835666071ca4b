// torchvision's automatic augmentations (augment: trivial, randaugment) applied in libtorch: each operation of an
// image's draw (auto-augment-draw.ts, made by the loader) runs on the uint8 image with torchvision 0.14's tensor
// arithmetic (functional_tensor.py: the same ATen ops, float32 casts, truncations and rounding), at the strength
// of the policy's magnitude table, so its pixels equal torchvision's for the same draw (tested op by op against
// TrivialAugmentWide's and RandAugment's _apply_op).
import { bincount, bmm, conv2d, gridSample } from '../torch/functional.js';
import { cat, fullLike, linspace, ones, scope, stack, tensor, type Tensor, zeros } from '../torch/index.js';
import { isSigned, MAGNITUDE_BINS, type AugmentOpName, type AugmentStep, type AutoAugmentDraw, type AutoAugmentPolicy } from './auto-augment-draw.js';

/**
 * Each policy's torch.linspace [start, end] of strengths per operation (float32, as torchvision's tables hold them),
 * for an h × w image (RandAugment's translations scale with it), and Posterize's divisor of the bin.
 */
const TABLES: Record<AutoAugmentPolicy, { linspaces: (h: number, w: number) => Partial<Record<AugmentOpName, [number, number]>>; posterize: number }> = {
  trivial: {
    linspaces: () => ({
      ShearX: [0, 0.99], ShearY: [0, 0.99], TranslateX: [0, 32], TranslateY: [0, 32], Rotate: [0, 135],
      Brightness: [0, 0.99], Color: [0, 0.99], Contrast: [0, 0.99], Sharpness: [0, 0.99], Solarize: [255, 0],
    }),
    posterize: (MAGNITUDE_BINS - 1) / 6,
  },
  randaugment: {
    linspaces: (h, w) => ({
      ShearX: [0, 0.3], ShearY: [0, 0.3], TranslateX: [0, (150 / 331) * w], TranslateY: [0, (150 / 331) * h], Rotate: [0, 30],
      Brightness: [0, 0.9], Color: [0, 0.9], Contrast: [0, 0.9], Sharpness: [0, 0.9], Solarize: [255, 0],
    }),
    posterize: (MAGNITUDE_BINS - 1) / 4,
  },
};

/**
 * The strength of a step under a policy for an h × w image: libtorch's own linspace value (float32), or
 * Posterize's bits; negated for a negative draw of a signed operation.
 */
export function augmentMagnitude(policy: AutoAugmentPolicy, s: AugmentStep, h: number, w: number): number {
  const t = TABLES[policy];
  if (s.op === 'Posterize') return 8 - Math.round(s.bin / t.posterize);
  const range = t.linspaces(h, w)[s.op];
  if (!range) return 0;
  const key = `${range[0]}:${range[1]}`;
  const table = magnitudes.get(key) ?? magnitudes.set(key, scope(() => linspace(range[0], range[1], MAGNITUDE_BINS).toFloat32Array())).get(key)!;
  return s.negative && isSigned(s.op) ? -table[s.bin]! : table[s.bin]!;
}
const magnitudes = new Map<string, Float32Array>();

/** One [1, 3, h, w] uint8 image after its draw's operations in turn (uint8, same shape). Call inside a scope. */
export function applyAutoAugment(img: Tensor, d: AutoAugmentDraw): Tensor {
  const [, , h, w] = img.shape as [number, number, number, number];
  return d.steps.reduce((x, s) => applyOp(x, s.op, augmentMagnitude(d.policy, s, h, w)), img);
}

/** torchvision's _apply_op: one operation at strength m on a [1, 3, h, w] uint8 image. */
export function applyOp(img: Tensor, op: AugmentOpName, m: number): Tensor {
  const [, , h, w] = img.shape as [number, number, number, number];
  switch (op) {
    case 'Identity': return img;
    // shear = [degrees(atan(m)), 0] about the top-left corner (center [0, 0] in pixels).
    case 'ShearX': return warp(img, inverseAffine([-w * 0.5, -h * 0.5], 0, [0, 0], [Math.atan(m) * RAD_TO_DEG, 0]));
    case 'ShearY': return warp(img, inverseAffine([-w * 0.5, -h * 0.5], 0, [0, 0], [0, Math.atan(m) * RAD_TO_DEG]));
    case 'TranslateX': return warp(img, inverseAffine([0, 0], 0, [Math.trunc(m), 0], [0, 0]));
    case 'TranslateY': return warp(img, inverseAffine([0, 0], 0, [0, Math.trunc(m)], [0, 0]));
    // F.rotate passes -angle to the same matrix (its rotation direction differs from affine's).
    case 'Rotate': return warp(img, inverseAffine([0, 0], -m, [0, 0], [0, 0]));
    case 'Brightness': return blend(img, null, 1 + m);
    case 'Color': return blend(img, grayscale(img), 1 + m);
    case 'Contrast': return blend(img, grayscale(img).float().mean([1, 2, 3], true), 1 + m);
    case 'Sharpness': return h <= 2 || w <= 2 ? img : blend(img, smoothed(img), 1 + m);
    // img & ~(2^(8 - bits) - 1): the low bits cleared.
    case 'Posterize': return img.bitwiseAnd(256 - 2 ** (8 - m));
    case 'Solarize': return img.rsub(255).where(img.ge(m), img);
    case 'AutoContrast': return autocontrast(img);
    case 'Equalize': return equalize(img);
  }
}

const DEG_TO_RAD = Math.PI / 180, RAD_TO_DEG = 180 / Math.PI;

/**
 * torchvision's _get_inverse_affine_matrix (scale 1): the output-to-input map of a rotation by `angle` degrees
 * and shears (degrees) about `center`, then a translation; center and result in pixels from the image centre.
 */
function inverseAffine(center: [number, number], angle: number, translate: [number, number], shear: [number, number]): number[] {
  const rot = angle * DEG_TO_RAD, sx = shear[0] * DEG_TO_RAD, sy = shear[1] * DEG_TO_RAD;
  const [cx, cy] = center, [tx, ty] = translate;
  const a = Math.cos(rot - sy) / Math.cos(sy);
  const b = -Math.cos(rot - sy) * Math.tan(sx) / Math.cos(sy) - Math.sin(rot);
  const c = Math.sin(rot - sy) / Math.cos(sy);
  const d = -Math.sin(rot - sy) * Math.tan(sx) / Math.cos(sy) + Math.cos(rot);
  const m = [d, -b, 0, -c, a, 0];
  m[2]! += m[0]! * (-cx - tx) + m[1]! * (-cy - ty);
  m[5]! += m[3]! * (-cx - tx) + m[4]! * (-cy - ty);
  m[2]! += cx;
  m[5]! += cy;
  return m;
}

/** functional_tensor.affine: nearest-neighbour grid sampling (zeros outside) in float32, rounded back to uint8. */
function warp(img: Tensor, matrix: number[]): Tensor {
  const [, , h, w] = img.shape as [number, number, number, number];
  // Made on the image's device (a CUDA batch's augmentation runs there).
  const device = img.device;
  const theta = tensor(Float32Array.from(matrix), { shape: [1, 2, 3], device });
  // _gen_affine_grid: pixel centres from the image centre, (x, y, 1) · θᵀ, scaled to [-1, 1].
  const xs = linspace(-w * 0.5 + 0.5, w * 0.5 + 0.5 - 1, w, { device }).view(1, w).expand(h, w);
  const ys = linspace(-h * 0.5 + 0.5, h * 0.5 + 0.5 - 1, h, { device }).view(h, 1).expand(h, w);
  const base = stack([xs, ys, ones([h, w], { device })], 2).reshape(1, h * w, 3);
  const grid = bmm(base, theta.transpose(1, 2).div(tensor(Float32Array.from([0.5 * w, 0.5 * h]), { device }))).view(1, h, w, 2);
  return gridSample(img.float(), grid, 'nearest', false).round().to('uint8');
}

/** _blend on uint8: ratio·img + (1 − ratio)·other in float32, clamped to [0, 255], truncated to uint8. */
function blend(img: Tensor, other: Tensor | null, ratio: number): Tensor {
  const scaled = img.mul(ratio);
  return (other ? scaled.add(other.mul(1 - ratio)) : scaled).clamp(0, 255).to('uint8');
}

/** rgb_to_grayscale on uint8: 0.2989 R + 0.587 G + 0.114 B in float32, truncated to uint8, one channel. */
function grayscale(img: Tensor): Tensor {
  const [r, g, b] = [0, 1, 2].map((c) => img.narrow(1, c, 1));
  return r!.mul(0.2989).add(g!.mul(0.587)).add(b!.mul(0.114)).to('uint8');
}

/** _blurred_degenerate_image: the inner pixels smoothed by [[1, 1, 1], [1, 5, 1], [1, 1, 1]] / 13, the border kept. */
function smoothed(img: Tensor): Tensor {
  const [, c, h, w] = img.shape as [number, number, number, number];
  const kernel = tensor(Float32Array.from([1, 1, 1, 1, 5, 1, 1, 1, 1]), { shape: [3, 3], device: img.device }).div(13).expand(c, 1, 3, 3);
  const inner = conv2d(img.float(), kernel, undefined, { groups: c }).round().to('uint8');
  const out = img.clone();
  out.narrow(2, 1, h - 2).narrow(3, 1, w - 2).copy_(inner);
  return out;
}

/** autocontrast: each channel stretched from its [min, max] to [0, 255] (a flat channel kept). */
function autocontrast(img: Tensor): Tensor {
  const lo = img.amin([2, 3], true).float(), range = img.amax([2, 3], true).float().sub(lo);
  const scale = fullLike(range, 255).div(range);
  const flat = scale.isfinite().logicalNot();
  return img.sub(lo.maskedFill(flat, 0)).mul(scale.maskedFill(flat, 1)).clamp(0, 255).to('uint8');
}

/** equalize: each channel through the lookup table of its cumulative histogram (_scale_channel). */
function equalize(img: Tensor): Tensor {
  const [, c] = img.shape as [number, number];
  return cat(Array.from({ length: c }, (_, k) => equalizeChannel(img.narrow(1, k, 1))), 1);
}

function equalizeChannel(chan: Tensor): Tensor {
  const values = chan.flatten().to('int64');
  // Counts and sums as float64: exact for any image size that fits in memory.
  const hist = bincount(values, 256).to('float64');
  const nonzero = hist.maskedSelect(hist.ne(0));
  const step = Math.floor(nonzero.narrow(0, 0, nonzero.size(0) - 1).sum().item() / 255);
  if (step === 0) return chan;
  const lut = hist.cumsum(0).add(Math.floor(step / 2)).div(step).floor();
  const shifted = cat([zeros([1], { dtype: 'float64', device: chan.device }), lut.narrow(0, 0, 255)]).clamp(0, 255);
  return shifted.indexSelect(0, values).view(...chan.shape).to('uint8');
}
