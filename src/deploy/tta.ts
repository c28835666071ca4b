// Test-time augmentation (--tta flip | dihedral) in onnxruntime, as src/eval/torch-engine.ts does it in libtorch:
// one graph turns a batch of N images into its V views (eval/tta.ts: the N images, then each other orientation of
// them), the model runs on each view's N images, and a second graph gives each image the mean of its V rows. The
// views are Slices read backwards (mirrors) and Transposes (a quarter turn is a mirror then a transpose) of the
// uint8 NHWC pixels: the normalisation is per channel, so moving pixels before it equals libtorch's flips and
// transposes of the normalised NCHW input. The mean is a ReduceMean.
import type { Orientation } from '../data/orientation.js';
import { ttaViews, type TtaMode } from '../eval/tta.js';
import { GraphBuilder, encodeModel } from '../onnx/index.js';

export const VIEWS_INPUT = 'pixels';
export const VIEWS_OUTPUT = 'views';
export const MEAN_INPUT = 'probabilities';
export const MEAN_OUTPUT = 'mean';

const HEIGHT = 1, WIDTH = 2;

/** The graph that turns N images' uint8 [N, S, S, 3] pixels into [V·N, S, S, 3]: the images, then each other view of them. */
export function ttaViewsGraph(size: number, mode: TtaMode): Uint8Array {
  const g = new GraphBuilder(`tlearn_tta_${mode}`);
  const x = g.input(VIEWS_INPUT, 'uint8', ['N', size, size, 3]);
  // The axes read backwards: from the last pixel to before the first (INT64_MIN, ONNX's idiom for "past the start").
  const reversed = (t: string, axes: number[]) => g.node('Slice', [
    t, g.int64s('starts', axes.map(() => -1)), g.int64s('ends', axes.map(() => -(2 ** 63))), g.int64s('axes', axes), g.int64s('steps', axes.map(() => -1)),
  ]);
  // data/orientation.ts's orient on NHWC, in one Slice and one Transpose at most: mirrored along the width, then k
  // quarter turns (torch.rot90's direction), each a mirror (width for 1, both axes for 2, height for 3) and, when k
  // is odd, a transpose; the two mirrors along the width cancel.
  const oriented = ({ flip, turns }: Orientation): string => {
    const axes = [...(turns >= 2 ? [HEIGHT] : []), ...(flip !== (turns === 1 || turns === 2) ? [WIDTH] : [])];
    const mirrored = axes.length ? reversed(x, axes) : x;
    return turns % 2 ? g.node('Transpose', [mirrored], { perm: [0, 2, 1, 3] }) : mirrored;
  };
  const views = ttaViews(mode);
  g.output(g.node('Concat', views.map(oriented), { axis: 0 }), VIEWS_OUTPUT, 'uint8', [`${views.length}N`, size, size, 3]);
  return encodeModel(g.model({ producerVersion: 'tta' }));
}

/** The graph that averages V views' probabilities: float32 [V·N, K] (each view's N rows in turn) → [N, K]. */
export function viewMeanGraph(width: number, mode: TtaMode): Uint8Array {
  const v = ttaViews(mode).length;
  const g = new GraphBuilder('tlearn_tta_mean');
  const p = g.input(MEAN_INPUT, 'float32', [`${v}N`, width]);
  const views = g.node('Reshape', [p, g.int64s('shape', [v, -1, width])]);
  g.output(g.node('ReduceMean', [views], { axes: [0], keepdims: 0 }), MEAN_OUTPUT, 'float32', ['N', width]);
  return encodeModel(g.model({ producerVersion: 'tta' }));
}
