// tlearn/onnx: prediction and evaluation of an .onnx model through onnxruntime-node, on a machine where
// libtorch and tlearn's native addon are not installed (nothing imported from here loads them).
//
//   import { loadOnnxModel, predictOnnx, evaluateOnnx } from 'tlearn/onnx';
//   const rows = await predictOnnx({ model: 'model.onnx', files: ['a.jpg', 'b.png'] });
//   // rows: [{ path, probability, predicted, label }, ...] as `tlearn predict --json` prints them
//   await evaluateOnnx({ model: 'model.onnx', data: 'data/', split: 'test', out: 'eval/', log: console.error });
//   // tta: 'flip' or 'dihedral' in either: the mean of the probabilities of each image's views (metrics.json: with and without)
//
// Images are decoded exactly as for training (sharp, Pillow-exact resizing), the normalisation runs in
// onnxruntime. A graph without tlearn's metadata takes imageSize/classes/task/resize as a plain .pth does.
export { loadOnnxModel, type OnnxModel, type OnnxModelOptions, type OnnxTta } from './model.js';
export { evaluateOnnx, predictOnnx, predictOnnxItems } from './predict.js';
export { preprocessGraph } from './preprocess.js';
export { OnnxFormatError, ORT_INSTALL_HINT, onnxRuntime } from '../onnx/index.js';
export type { AnyEvaluationMetrics, EvaluationMetrics } from '../eval/evaluate.js';
export type { EvaluateCommandOptions, PredictCommandOptions, PredictRow } from '../eval/types.js';
export type { ItemPredictions, PredictItemsOptions } from '../eval/predict-items.js';
export type { ModelMetadata } from '../models/metadata.js';
