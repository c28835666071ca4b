// ONNX export of a trained classifier: module → nodes through the emitter registry (emitter.ts, layers.ts,
// resnet.ts), BatchNorm folded into the convolutions, the head's activation as the output (probabilities),
// the optional preprocessing nodes and the metadata_props. The model is only read: its modes are restored
// and every tensor made on the way is freed.
import { headOutputs, toolVersion, type ImageClassifier, type ModelMetadata } from '../../models/index.js';
import { encodeModel, GraphBuilder, ONNX_OUTPUT_NAME, type OnnxInputLayout } from '../../onnx/index.js';
import { scope } from '../../torch/index.js';
import { GraphEmitter } from './emitter.js';
import { graphInput } from './preprocess.js';
import { metadataProps } from './props.js';
import './layers.js';
import './resnet.js';
import './zoo.js';
import './zoo2.js';

export { registerEmitter, exportableTypes, childPath, GraphEmitter, UnsupportedModuleError, type Emitter } from './emitter.js';
export { foldConvBn, float32Bytes, type FoldedConv } from './weights.js';
export { metadataProps } from './props.js';

export interface ExportOnnxOptions {
  /** What the graph takes (default 'float32-nchw': normalised floats; 'uint8-nhwc': raw pixels). */
  input?: OnnxInputLayout;
  /** sha256 (hex) of the checkpoint the model was loaded from, stored as source_sha256. */
  sourceSha256?: string;
}

export interface OnnxExport {
  /** The .onnx file's bytes. */
  bytes: Uint8Array;
  /** Nodes per op type (e.g. { Conv: 53, Relu: 49, ... } for resnet50). */
  opCounts: Record<string, number>;
}

/** The model and its metadata must describe the same network, or the file would lie about what it computes. */
function checkMatches(model: ImageClassifier, m: ModelMetadata): void {
  if (model.arch !== m.arch) throw new Error(`the metadata says arch ${m.arch} but the model is a ${model.arch}`);
  const outputs = headOutputs(m.task, m.classes.length);
  if (model.outputs !== outputs) throw new Error(`the model has ${model.outputs} outputs; a ${m.task} model of ${m.classes.length} classes has ${outputs}`);
  const activation = m.task === 'multiclass' ? 'softmax' : 'sigmoid';
  if (model.activation !== activation) throw new Error(`the model's head uses ${model.activation}; a ${m.task} model uses ${activation}`);
}

/** The ONNX graph of `model` (eval mode) with `metadata` as metadata_props; its output is the probabilities [N, K]. */
export function exportOnnx(model: ImageClassifier, metadata: ModelMetadata, o: ExportOnnxOptions = {}): OnnxExport {
  checkMatches(model, metadata);
  const input = o.input ?? 'float32-nchw';
  const modes = model.modules().map((mod) => [mod, mod.training] as const);
  model.eval();
  try {
    const g = new GraphBuilder(`tlearn_${metadata.arch}`);
    const x = graphInput(g, input, metadata);
    const e = new GraphEmitter(g);
    const raw = scope(() => e.emit(model, '', x));
    // predictProba: probabilitiesOf(forward(x)), the logits divided by a calibration temperature other than 1
    // first (so that every consumer of the graph, src/deploy and the web page included, gets calibrated output).
    const t = metadata.temperature ?? 1;
    const logits = t === 1 ? raw : g.node('Div', [raw, g.floats('temperature', [t], [])]);
    const probs = model.activation === 'sigmoid'
      ? g.node('Sigmoid', [logits], {}, ONNX_OUTPUT_NAME)
      : g.node('Softmax', [logits], { axis: 1 }, ONNX_OUTPUT_NAME);
    g.output(probs, ONNX_OUTPUT_NAME, 'float32', ['N', model.outputs]);
    const bytes = encodeModel(g.model({ producerVersion: toolVersion(), metadata: metadataProps(metadata, input, o.sourceSha256) }));
    return { bytes, opCounts: g.opCounts() };
  } finally {
    for (const [mod, on] of modes) mod.training = on;
  }
}
