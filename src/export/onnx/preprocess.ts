// The graph's input. Default: float32 NCHW [N, 3, S, S], already normalised as in PyTorch. With 'uint8-nhwc'
// the graph takes raw RGB pixels [N, S, S, 3] and normalises them itself, in data/tensor.ts's order:
// Cast to float, Transpose to NCHW, /255 (ToTensor), − mean, / std (Normalize), so a caller only resizes.
import type { ModelMetadata } from '../../models/index.js';
import { ONNX_INPUT_NAME, ONNX_DTYPES, type GraphBuilder, type OnnxInputLayout } from '../../onnx/index.js';

/** Declares the graph input for `layout`; returns the name of the normalised float32 NCHW value. */
export function graphInput(g: GraphBuilder, layout: OnnxInputLayout, m: ModelMetadata): string {
  const s = m.imageSize;
  if (layout === 'float32-nchw') return g.input(ONNX_INPUT_NAME, 'float32', ['N', 3, s, s]);
  if (layout !== 'uint8-nhwc') throw new Error(`input layout must be 'float32-nchw' or 'uint8-nhwc', got ${JSON.stringify(layout)}`);
  const pixels = g.input(ONNX_INPUT_NAME, 'uint8', ['N', s, s, 3]);
  const floats = g.node('Cast', [pixels], { to: ONNX_DTYPES.float32 }, 'pixels_float');
  const nchw = g.node('Transpose', [floats], { perm: [0, 3, 1, 2] }, 'pixels_nchw');
  const unit = g.node('Div', [nchw, g.floats('255', [255], [])], {}, 'pixels_unit');
  const centred = g.node('Sub', [unit, g.floats('mean', m.mean, [1, 3, 1, 1])], {}, 'pixels_centred');
  return g.node('Div', [centred, g.floats('std', m.std, [1, 3, 1, 1])], {}, 'normalised');
}
