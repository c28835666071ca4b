// resize.onnx of the browser page: the pixel arithmetic of Pillow's bilinear resample and the centre crop, so
// that the page runs it in onnxruntime-web instead of JS loops (web-page/resize.js computes its weights).
// Like src/data/pixels-onnx.ts (Node's engine) it applies Pillow's normalised triangle weights, width pass
// first, each pass rounded half up and clipped to 0..255 as Pillow's 8-bit passes are; unlike it, each pass is
// a dense float32 MatMul with a weight matrix over the crop window's outputs: the Gather of [taps, outputs]
// would make a taps-times copy of the image on a big downscale. The weights (integers / 2^22) are exact in
// float32; the sums are not, so a value can land on the other side of a .5 and differ from Pillow by 1.
import { encodeModel, GraphBuilder } from '../../onnx/index.js';

/** The ONNX graph: image uint8 [H, W, 4] (the canvas's RGBA) → pixels uint8 [1, OH, OW, 3]. */
export function pageResizeGraph(): Uint8Array {
  const g = new GraphBuilder('tlearn_page_resize');
  const image = g.input('image', 'uint8', ['H', 'W', 4]);
  // The part of the image the window reads, [rows, columns, channels 0..2]: the alpha is dropped here (the
  // canvas already composited the image over white).
  const starts = g.input('starts', 'int64', [3]);
  const ends = g.input('ends', 'int64', [3]);
  const widthWeights = g.input('width_weights', 'float32', ['w', 'OW']);
  const heightWeights = g.input('height_weights', 'float32', ['OH', 'h']);
  const part = g.node('Slice', [image, starts, ends, g.int64s('slice_axes', [0, 1, 2])]);
  // [h, 3, w]: the width pass is then one GEMM ([h*3, w] × [w, OW]), no batch of tiny products.
  const planar = g.node('Cast', [g.node('Transpose', [part], { perm: [0, 2, 1] })], { to: 1 });
  const half = g.floats('half', [0.5], []), lo = g.floats('lo', [0], []), hi = g.floats('hi', [255], []);
  const round8 = (x: string) => g.node('Clip', [g.node('Floor', [g.node('Add', [x, half])]), lo, hi]);
  const wide = round8(g.node('MatMul', [planar, widthWeights])); // [h, 3, OW]
  const flat = g.node('Reshape', [wide, g.int64s('rows_by_rest', [0, -1])]); // [h, 3*OW]
  const tall = round8(g.node('MatMul', [heightWeights, flat])); // [OH, 3*OW]
  const planes = g.node('Reshape', [g.node('Cast', [tall], { to: 2 }), g.int64s('rows_channels_cols', [0, 3, -1])]);
  const nhwc = g.node('Unsqueeze', [g.node('Transpose', [planes], { perm: [0, 2, 1] }), g.int64s('batch_axis', [0])]);
  g.output(nhwc, 'pixels', 'uint8', [1, 'OH', 'OW', 3]);
  return encodeModel(g.model({ producerVersion: 'page-resize' }));
}
