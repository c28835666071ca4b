// `tlearn predict` and `tlearn evaluate` of an .onnx model: the same decoding, rows and evaluation folder as for
// a checkpoint (src/eval's engine-neutral parts), with onnxruntime computing the probabilities and the
// resampling, so that nothing here loads libtorch.
import { periodicProgress } from '../data/progress.js';
import { pixelEngine, setPixelEngine } from '../data/pixel-engine.js';
import { onnxPixelEngine } from '../data/pixels-onnx.js';
import type { LoaderItem } from '../data/loader.js';
import { evaluateWith, type AnyEvaluationMetrics } from '../eval/evaluate.js';
import { assumptionNote, predictionRows, predictWith, type ItemPredictions, type PredictItemsOptions } from '../eval/predict-items.js';
import { conformalTtaNote } from '../eval/tta.js';
import type { EvaluateCommandOptions, PredictCommandOptions, PredictRow } from '../eval/types.js';
import { loadOnnxModel, type OnnxModel } from './model.js';

/** Runs `fn` with the pixel arithmetic (resampling, DICOM windows) in onnxruntime (the same bytes as libtorch's), then restores the engine. */
async function withOnnxPixels<T>(fn: () => Promise<T>): Promise<T> {
  const before = pixelEngine();
  setPixelEngine(onnxPixelEngine);
  try {
    return await fn();
  } finally {
    setPixelEngine(before);
  }
}

/** An ONNX model's probabilities for the items, decoded with the preprocessing its metadata gives. */
export function predictOnnxItems(model: OnnxModel, items: readonly LoaderItem[], opts: PredictItemsOptions = {}): Promise<ItemPredictions> {
  // With --tta, each batch runs as its images' views (tta.ts); the results without it come along.
  return withOnnxPixels(() => predictWith(model.engineWith(opts.tta ?? null), model.metadata, items, { ...opts, source: opts.source ?? model.file }));
}

/** `tlearn predict MODEL.onnx FILES`: one row per file, in order, as for a checkpoint; a file that cannot be read gets an error row. */
export async function predictOnnx(opts: PredictCommandOptions): Promise<PredictRow[]> {
  const model = await loadOnnxModel(opts.model, opts);
  try {
    const note = assumptionNote(opts.model, model);
    if (note) opts.log?.(note);
    const sets = conformalTtaNote(model.metadata, opts.tta);
    if (sets) opts.log?.(sets);
    const items = opts.files.map((path) => ({ path, label: null }));
    const result = await predictOnnxItems(model, items, {
      batchSize: opts.batchSize, tta: opts.tta, onProgress: opts.log && periodicProgress(opts.log, 'predicting', 'images'),
    });
    return predictionRows(opts.files, result, model.metadata, opts);
  } finally {
    await model.dispose();
  }
}

/** `tlearn evaluate MODEL.onnx DATA --out DIR`: the same files and metrics as for a checkpoint. */
export function evaluateOnnx(options: EvaluateCommandOptions): Promise<AnyEvaluationMetrics> {
  return evaluateWith(options, async (opts) => {
    const m = await loadOnnxModel(opts.model, opts);
    return { metadata: m.metadata, assumed: m.assumed, predict: (items, o) => predictOnnxItems(m, items, o), dispose: () => m.dispose(),
      // A foreign graph's metadata holds the seed's arch, which says nothing about it.
      summary: { model: m.fromTlearn ? `${m.metadata.arch} (ONNX, run by onnxruntime)` : 'a foreign ONNX graph (run by onnxruntime)' } };
  });
}
