// Test-time augmentation (--tta flip) in onnxruntime, as src/eval/torch-engine.ts does it in libtorch: the model
// runs once on a batch of 2N views (the N images, then their horizontal mirrors) and each image's probabilities
// are the mean of its two rows. The mirror is a reversed Slice of the uint8 NHWC pixels (the normalisation is per
// channel, so mirroring before it equals libtorch's flip of the normalised NCHW input); the mean a ReduceMean.
import { GraphBuilder, encodeModel } from '../onnx/index.js';

export const VIEWS_INPUT = 'pixels';
export const VIEWS_OUTPUT = 'views';
export const MEAN_INPUT = 'probabilities';
export const MEAN_OUTPUT = 'mean';

/** The graph that turns N images' uint8 [N, S, S, 3] pixels into [2N, S, S, 3]: the images, then their mirrors. */
export function flipViewsGraph(size: number): Uint8Array {
  const g = new GraphBuilder('tlearn_tta_flip');
  const x = g.input(VIEWS_INPUT, 'uint8', ['N', size, size, 3]);
  // Width (axis 2) read backwards: from the last column to before the first (INT64_MIN, ONNX's idiom for "past the start").
  const mirrored = g.node('Slice', [x, g.int64s('starts', [-1]), g.int64s('ends', [-(2 ** 63)]), g.int64s('axes', [2]), g.int64s('steps', [-1])]);
  g.output(g.node('Concat', [x, mirrored], { axis: 0 }), VIEWS_OUTPUT, 'uint8', ['2N', size, size, 3]);
  return encodeModel(g.model({ producerVersion: 'tta' }));
}

/** The graph that averages the two views' probabilities: float32 [2N, K] (images, then mirrors) → [N, K]. */
export function viewMeanGraph(width: number): Uint8Array {
  const g = new GraphBuilder('tlearn_tta_mean');
  const p = g.input(MEAN_INPUT, 'float32', ['2N', width]);
  const pairs = g.node('Reshape', [p, g.int64s('shape', [2, -1, width])]);
  g.output(g.node('ReduceMean', [pairs], { axes: [0], keepdims: 0 }), MEAN_OUTPUT, 'float32', ['N', width]);
  return encodeModel(g.model({ producerVersion: 'tta' }));
}
