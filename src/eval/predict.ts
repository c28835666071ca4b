// Probabilities of a libtorch model for a list of image files, decoded with the model's own preprocessing
// (the engine-neutral part, shared with prediction through onnxruntime, is in predict-items.ts).
import { periodicProgress, type LoaderItem } from '../data/index.js';
import { batchTensors } from '../data/tensor.js';
import { checkFinite, loadModelFile, type ImageClassifier, type ModelMetadata } from '../models/index.js';
import { dispose, scope, setNumThreads } from '../torch/index.js';
import type { PredictCommandOptions, PredictRow } from './types.js';
import { assumptionNote, predictionRows, predictWith, type EngineVariants, type ItemPredictions, type PredictItemsOptions, type ProbabilityEngine } from './predict-items.js';
import { conformalTtaNote } from './tta.js';
import { probabilityVariants } from './torch-engine.js';
import type { Batch } from '../data/loader.js';

export {
  assumptionNote, conformalInfo, decisionFor, givenThresholds, predictionLoader, type ItemPredictions, type PredictItemsOptions, type ProbabilityEngine,
} from './predict-items.js';

/** The model's output is NaN (or inf) for some images although its weights are finite: the forward pass overflowed. */
export class NonFiniteOutputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NonFiniteOutputError';
  }
}

/**
 * The error for a batch whose output is not finite. Weights holding NaN or inf are refused when a model file is
 * read, but a model built in code may hold them: those are named first (checked only now, on the failure path).
 */
export function nonFiniteOutput(model: ImageClassifier, values: Float32Array, paths: string[], source: string | undefined): Error {
  const sd = model.stateDict();
  try {
    checkFinite(sd, source ?? 'the model');
  } catch (e) {
    return e as Error;
  } finally {
    dispose(sd);
  }
  const k = model.outputs;
  const rowOf = (i: number) => values.subarray(i * k, (i + 1) * k);
  const bad = paths.map((_, i) => i).filter((i) => rowOf(i).some((v) => !Number.isFinite(v)));
  const what = bad.some((i) => rowOf(i).some((v) => Number.isNaN(v))) ? 'NaN' : 'infinite';
  return new NonFiniteOutputError(`${source ? `${source}: ` : ''}the model's output is ${what} for ${bad.length} of ${paths.length} images ` +
    `(the first: ${paths[bad[0]]}); its weights are finite, so the forward pass overflowed float32 (values beyond ±3.4e38): this model cannot predict`);
}

/**
 * The libtorch engine: the model's forward pass (eval mode, no gradients) on a batch's tensors, checked in libtorch;
 * with `tta` the mean of the probabilities of the image's views (tta.ts, torch-engine.ts).
 */
export function torchEngine(model: ImageClassifier, opts: Pick<PredictItemsOptions, 'device' | 'source' | 'tta'> = {}): ProbabilityEngine {
  const variants = async (batch: Batch, paths: string[]): Promise<EngineVariants> => {
    // Checked in libtorch; NaN here used to be reported as "no prediction was made" / an unreadable image.
    const { v, finite } = scope(() => {
      const out = probabilityVariants(model, batchTensors(batch, opts.device ?? 'cpu').x, opts.tta ?? null);
      return {
        v: { main: out.main.toFloat32Array(), plain: out.plain?.toFloat32Array(), uncalibrated: out.uncalibrated?.toFloat32Array() },
        finite: out.main.isfinite().all().item() !== 0,
      };
    });
    if (!finite) throw nonFiniteOutput(model, v.main, paths, opts.source);
    return { main: v.main, ...(v.plain ? { plain: v.plain } : {}), ...(v.uncalibrated ? { uncalibrated: v.uncalibrated } : {}) };
  };
  return { width: model.outputs, variants, probabilities: async (batch, paths) => (await variants(batch, paths)).main };
}

/** Runs the model (eval mode, no gradients) over the items with the preprocessing stored in its metadata. */
export function predictItems(model: ImageClassifier, meta: ModelMetadata, items: readonly LoaderItem[],
  opts: PredictItemsOptions = {}): Promise<ItemPredictions> {
  return predictWith(torchEngine(model, opts), meta, items, opts);
}

/** `tlearn predict`: one row per file, in order; a file that cannot be read gets an error row. */
export async function predict(opts: PredictCommandOptions): Promise<PredictRow[]> {
  if (opts.threads) setNumThreads(opts.threads);
  const loaded = loadModelFile(opts.model, { imageSize: opts.imageSize, classes: opts.classes, resize: opts.resize, device: opts.device, task: opts.task });
  const { model, metadata } = loaded;
  try {
    const note = assumptionNote(opts.model, loaded);
    if (note) opts.log?.(note);
    const sets = conformalTtaNote(metadata, opts.tta);
    if (sets) opts.log?.(sets);
    const items = opts.files.map((path) => ({ path, label: null }));
    const result = await predictItems(model, metadata, items, {
      batchSize: opts.batchSize, device: opts.device, tta: opts.tta, onProgress: opts.log && periodicProgress(opts.log, 'predicting', 'images'), source: opts.model,
    });
    return predictionRows(opts.files, result, metadata, opts);
  } finally {
    model.dispose();
  }
}
