// Small ONNX graphs not written by tlearn's exporter (built with src/onnx's GraphBuilder, no Python), for the
// tests of prediction from .onnx files: what a foreign exporter (torch.onnx.export, tf2onnx) writes, with
// the input, output and activation chosen, and forged tlearn metadata_props.
import { GraphBuilder, encodeModel, type OnnxDType } from '../../src/onnx/index.js';

export interface ForeignGraph {
  /** Classes K of the output [N, K] (default 3); 'N?' leaves the class dimension symbolic. */
  outputs?: number;
  symbolicOutputs?: boolean;
  /** The image size S of the input [N, 3, S, S] (default 32); null: symbolic. */
  size?: number | null;
  /** The last op: Softmax (default), Sigmoid or none (logits). */
  activation?: 'softmax' | 'sigmoid' | null;
  /** A second input (which tlearn cannot feed). */
  secondInput?: boolean;
  /** The input's element type and layout (default float32 NCHW). */
  input?: { dtype: OnnxDType; shape: (number | string)[] };
  metadata?: Record<string, string>;
}

/** Mean colour per channel → Gemm to K outputs → the activation: a tiny classifier of images of any size. */
export function foreignOnnx(o: ForeignGraph = {}): Uint8Array {
  const k = o.outputs ?? 3, s = o.size === undefined ? 32 : o.size;
  const g = new GraphBuilder('foreign');
  const shape = o.input?.shape ?? ['N', 3, s ?? 'S', s ?? 'S'];
  let x = g.input('x', o.input?.dtype ?? 'float32', shape);
  if (o.input && o.input.dtype !== 'float32') x = g.node('Cast', [x], { to: 1 });
  if (o.secondInput) g.input('mask', 'float32', ['N', 1]);
  const pooled = g.node('Flatten', [g.node('GlobalAveragePool', [x])]);
  const w = g.floats('w', Array.from({ length: k * 3 }, (_, i) => ((i * 7) % 5) - 2), [k, 3]);
  const b = g.floats('b', Array.from({ length: k }, (_, i) => i / 10), [k]);
  let y = g.node('Gemm', [pooled, w, b], { transB: 1 });
  if (o.activation !== null) y = g.node(o.activation === 'sigmoid' ? 'Sigmoid' : 'Softmax', [y], o.activation === 'sigmoid' ? {} : { axis: 1 });
  g.output(y, 'y', 'float32', ['N', o.symbolicOutputs ? 'K' : k]);
  return encodeModel(g.model({ producerVersion: 'foreign', metadata: o.metadata }));
}
