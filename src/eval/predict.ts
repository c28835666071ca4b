// Probabilities of a model for a list of image files, decoded with the model's own preprocessing.
import { DataLoader, periodicProgress, type ImageCache, type LoaderItem, type SkippedItem } from '../data/index.js';
import { batchTensors } from '../data/tensor.js';
import {
  channelsLastPays, checkFinite, loadModelFile, type ImageClassifier, type LoadedModel, type ModelMetadata,
} from '../models/index.js';
import { createTask, NO_LOSS_SETTINGS } from '../tasks/index.js';
import { dispose, scope, setNumThreads } from '../torch/index.js';
import type { PredictCommandOptions, PredictRow } from './types.js';

export interface PredictItemsOptions {
  batchSize?: number;
  device?: string;
  /** NHWC batches; by default where that is faster (CPU, images of 96 px and more). */
  channelsLast?: boolean;
  /** Called once per batch with the number of images done so far. */
  onProgress?: (done: number, total: number) => void;
  /** Decoded images to use and fill (a training run's, whose check decode already made them); default none. */
  cache?: ImageCache | null;
  /** The model file, named in errors. */
  source?: string;
}

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

export interface ItemPredictions {
  /**
   * The model's probabilities, `width` per item (row-major; binary: the positive class's, one per item); NaN
   * where the file could not be decoded.
   */
  probabilities: Float64Array;
  /** Probabilities per item: the head's outputs (1 for a binary model). */
  width: number;
  /** Files that could not be decoded, with the reason. */
  skipped: SkippedItem[];
}

/** The loader of predictItems: the model's preprocessing, in channels-last where that is faster unless told. */
export function predictionLoader(meta: ModelMetadata, items: readonly LoaderItem[], opts: PredictItemsOptions = {}): DataLoader {
  return new DataLoader(items, {
    imageSize: meta.imageSize, resize: meta.resize, mean: meta.mean, std: meta.std,
    batchSize: opts.batchSize ?? 32, train: false, cache: opts.cache ?? null,
    channelsLast: opts.channelsLast ?? channelsLastPays(opts.device ?? 'cpu', meta.imageSize),
  });
}

/** Runs the model (eval mode, no gradients) over the items with the preprocessing stored in its metadata. */
export async function predictItems(model: ImageClassifier, meta: ModelMetadata, items: readonly LoaderItem[],
  opts: PredictItemsOptions = {}): Promise<ItemPredictions> {
  const width = model.outputs;
  const probabilities = new Float64Array(items.length * width).fill(NaN);
  const loader = predictionLoader(meta, items, opts);
  let done = 0;
  for await (const batch of loader.epoch(0)) {
    // Checked in libtorch; NaN here used to be reported as "no prediction was made" / an unreadable image.
    const { p, finite } = scope(() => {
      const out = model.predictProba(batchTensors(batch, opts.device ?? 'cpu').x);
      return { p: out.toFloat32Array(), finite: out.isfinite().all().item() !== 0 };
    });
    if (!finite) throw nonFiniteOutput(model, p, batch.indices.map((i) => items[i].path), opts.source);
    batch.indices.forEach((item, k) => probabilities.set(p.subarray(k * width, (k + 1) * width), item * width));
    done += batch.indices.length;
    opts.onProgress?.(done, items.length);
  }
  return { probabilities, width, skipped: loader.skipped };
}

/**
 * For a plain PyTorch state_dict, the line that says what was assumed (it records neither its input size nor its
 * class names, and a wrong size changes every probability), or null.
 */
export function assumptionNote(file: string, loaded: Pick<LoadedModel, 'assumed' | 'metadata'>): string | null {
  if (loaded.assumed.length === 0) return null;
  const m = loaded.metadata;
  return `note: ${file} has no tlearn metadata: assuming ${loaded.assumed.join(' and ')} (give the values it was trained ` +
    `with: --image-size N --classes NEG,POS); images are ${m.resize === 'squash' ? `resized to ${m.imageSize}x${m.imageSize}` : `resized and centre-cropped to ${m.imageSize}`} ` +
    'and normalised with ImageNet mean/std';
}

/** A multi-label model's thresholds: --threshold, when given, for every label; else the model's own (null for other tasks). */
export function givenThresholds(metadata: Pick<ModelMetadata, 'thresholds'>, threshold: number | undefined): number[] | null {
  if (metadata.thresholds === null) return null;
  return threshold === undefined ? metadata.thresholds : metadata.thresholds.map(() => threshold);
}

/** `tlearn predict`: one row per file, in order; a file that cannot be read gets an error row. */
export async function predict(opts: PredictCommandOptions): Promise<PredictRow[]> {
  if (opts.threads) setNumThreads(opts.threads);
  const loaded = loadModelFile(opts.model, { imageSize: opts.imageSize, classes: opts.classes, resize: opts.resize, device: opts.device, task: opts.task });
  const { model, metadata } = loaded;
  try {
    const note = assumptionNote(opts.model, loaded);
    if (note) opts.log?.(note);
    const task = createTask(metadata.task, metadata.classes, NO_LOSS_SETTINGS);
    const decision = { threshold: opts.threshold ?? metadata.threshold, thresholds: givenThresholds(metadata, opts.threshold) };
    const items = opts.files.map((path) => ({ path, label: null }));
    const { probabilities, width, skipped } = await predictItems(model, metadata, items, {
      batchSize: opts.batchSize, device: opts.device, onProgress: opts.log && periodicProgress(opts.log, 'predicting', 'images'), source: opts.model,
    });
    const reasons = new Map(skipped.map((s) => [s.index, s.reason]));
    return opts.files.map((path, i): PredictRow => {
      const row = probabilities.subarray(i * width, (i + 1) * width);
      if (reasons.has(i) || row.some(Number.isNaN)) return { path, error: reasons.get(i) ?? 'no prediction was made' };
      return { path, ...task.predict(row, decision, opts.topK ?? 0) };
    });
  } finally {
    model.dispose();
  }
}
