// The orientations an augmentation draws an image in: a horizontal flip, then a number of quarter turns
// (torch.rot90(x, k, dims=[2, 3])). With both, the 8 symmetries of a square (fastai's dihedral group), for images
// without an up or a left, such as microscopy and histology patches. Applied in libtorch (data/tensor.ts).
import type { Tensor } from '../torch/index.js';

/** An image's orientation: mirrored along its width first (flip), then turned `turns` quarter turns. */
export interface Orientation { flip: boolean; turns: number }

/** The orientations a preset draws from: upright only; upright and mirrored; or all 8 with quarter turns. */
export function orientationsOf(flip: boolean, turns: boolean): Orientation[] {
  const out: Orientation[] = [];
  for (const f of flip ? [false, true] : [false]) for (let k = 0; k < (turns ? 4 : 1); k++) out.push({ flip: f, turns: k });
  return out;
}

/**
 * The orientation of an image in orientation `v` after `r` is applied to it. A turn then a flip is the flip then
 * the opposite turn, so flip^a·turn^k·flip^b·turn^m = flip^(a xor b)·turn^(b ? m - k : k + m).
 */
export function compose(v: Orientation, r: Orientation): Orientation {
  return { flip: v.flip !== r.flip, turns: (((r.flip ? r.turns - v.turns : v.turns + r.turns) % 4) + 4) % 4 };
}

/** [n, c, h, w] images in orientation `o` (torch.rot90's arithmetic: k quarter turns from the height axis toward the width axis). */
export function orient(x: Tensor, o: Orientation): Tensor {
  const mirrored = o.flip ? x.flip([3]) : x;
  switch (o.turns) {
    case 0: return mirrored;
    case 1: return mirrored.flip([3]).transpose(2, 3);
    case 2: return mirrored.flip([2, 3]);
    case 3: return mirrored.flip([2]).transpose(2, 3);
    default: throw new RangeError(`orientation: turns must be 0 to 3, got ${o.turns}`);
  }
}

/** The short text of an orientation in cache keys: '' upright, 'f' mirrored, 'r1'..'r3' turns after. */
export const orientationTag = (o: Orientation): string => `${o.flip ? 'f' : ''}${o.turns ? `r${o.turns}` : ''}`;

/** An orientation in words, for messages: 'upright', 'mirrored', 'turned 90°', 'mirrored, turned 180°', ... */
export const orientationText = (o: Orientation): string =>
  [o.flip ? 'mirrored' : '', o.turns ? `turned ${90 * o.turns}°` : ''].filter(Boolean).join(', ') || 'upright';
