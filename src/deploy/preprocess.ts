// The normalisation of a 'float32-nchw' graph's input, run in onnxruntime rather than in JS: uint8 NHWC pixels
// → Cast → Transpose to NCHW → /255 → −mean → /std, in torchvision's order (ToTensor, then Normalize), as
// src/data/tensor.ts does it in libtorch for a checkpoint.
import { GraphBuilder, encodeModel } from '../onnx/index.js';

export const PREPROCESS_INPUT = 'pixels';
export const PREPROCESS_OUTPUT = 'normalised';

/** The preprocessing graph for `size` px images with per-channel mean and std. */
export function preprocessGraph(size: number, mean: readonly number[], std: readonly number[]): Uint8Array {
  const g = new GraphBuilder('tlearn_preprocess');
  const x = g.input(PREPROCESS_INPUT, 'uint8', ['N', size, size, 3]);
  const nchw = g.node('Transpose', [g.node('Cast', [x], { to: 1 })], { perm: [0, 3, 1, 2] });
  const scaled = g.node('Div', [nchw, g.floats('scale', [255], [])]);
  const centred = g.node('Sub', [scaled, g.floats('mean', mean, [1, 3, 1, 1])]);
  g.output(g.node('Div', [centred, g.floats('std', std, [1, 3, 1, 1])]), PREPROCESS_OUTPUT, 'float32', ['N', 3, size, size]);
  return encodeModel(g.model({ producerVersion: 'preprocess' }));
}
