// Random erasing (Zhong et al. 2020; torchvision.transforms.RandomErasing, timm's --reprob): with probability p, a
// box of a training image is set to 0 after the normalisation (the dataset's mean colour). The draw follows
// torchvision's RandomErasing.get_params: up to 10 tries of an area fraction in `scale` and a log-uniform aspect
// ratio in `ratio`, the first box strictly inside the image kept, else none. Plain numbers from the image's seeded
// stream (the loader stays libtorch-free); data/tensor.ts zeroes the box.
import { roundHalfEven } from './decode.js';
import type { Box } from './decode.js';
import type { Rng } from './rng.js';

export interface ErasingSpec {
  /** The chance that an image gets a box. */
  p: number;
  /** The box's area as a fraction of the image's: [lowest, highest]. */
  scale: [number, number];
  /** The box's height / width: [lowest, highest], drawn log-uniformly. */
  ratio: [number, number];
}

/** The box to erase in an h × w image, or null (not drawn, or no try fitted). */
export function drawErasing(rng: Rng, spec: ErasingSpec, h: number, w: number): Box | null {
  if (!(rng.next() < spec.p)) return null;
  const area = h * w;
  const [logLo, logHi] = [Math.log(spec.ratio[0]), Math.log(spec.ratio[1])];
  for (let attempt = 0; attempt < 10; attempt++) {
    const eraseArea = area * rng.uniform(spec.scale[0], spec.scale[1]);
    const aspect = Math.exp(rng.uniform(logLo, logHi));
    const bh = roundHalfEven(Math.sqrt(eraseArea * aspect)), bw = roundHalfEven(Math.sqrt(eraseArea / aspect));
    if (!(bh < h && bw < w)) continue;
    const top = rng.int(0, h - bh), left = rng.int(0, w - bw);
    return { top, left, width: bw, height: bh };
  }
  return null;
}

/** Throws unless p is a probability, scale a range within [0, 1] and ratio a positive range. */
export function checkErasing(spec: ErasingSpec): void {
  const range = (r: unknown, lo: number, hi: number) =>
    Array.isArray(r) && r.length === 2 && r.every((v) => typeof v === 'number' && v >= lo && v <= hi) && r[0] <= r[1];
  if (!(spec.p >= 0 && spec.p <= 1)) throw new Error(`random erasing: p must be in [0, 1], got ${spec.p}`);
  if (!range(spec.scale, 0, 1)) throw new Error(`random erasing: scale must be [lowest, highest] within [0, 1], got ${JSON.stringify(spec.scale)}`);
  if (!range(spec.ratio, Number.MIN_VALUE, Number.MAX_VALUE)) throw new Error(`random erasing: ratio must be [lowest, highest] above 0, got ${JSON.stringify(spec.ratio)}`);
}
