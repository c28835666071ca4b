// Probabilities of a model for a list of image files, decoded with the model's own preprocessing.
import { DataLoader, periodicProgress, type ImageCache, type LoaderItem, type SkippedItem } from '../data/index.js';
import { batchTensors } from '../data/tensor.js';
import { channelsLastPays, loadModelFile, type BinaryClassifier, type LoadedModel, type ModelMetadata } from '../models/index.js';
import { scope, setNumThreads } from '../torch/index.js';
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
}

export interface ItemPredictions {
  /** Probability of the positive class per item; NaN where the file could not be decoded. */
  probabilities: Float64Array;
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
export async function predictItems(model: BinaryClassifier, meta: ModelMetadata, items: readonly LoaderItem[],
  opts: PredictItemsOptions = {}): Promise<ItemPredictions> {
  const probabilities = new Float64Array(items.length).fill(NaN);
  const loader = predictionLoader(meta, items, opts);
  let done = 0;
  for await (const batch of loader.epoch(0)) {
    const p = scope(() => model.probabilities(batchTensors(batch, opts.device ?? 'cpu').x));
    batch.indices.forEach((item, k) => (probabilities[item] = p[k]));
    done += batch.indices.length;
    opts.onProgress?.(done, items.length);
  }
  return { probabilities, skipped: loader.skipped };
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

/** `tlearn predict`: one row per file, in order; a file that cannot be read gets an error row. */
export async function predict(opts: PredictCommandOptions): Promise<PredictRow[]> {
  if (opts.threads) setNumThreads(opts.threads);
  const loaded = loadModelFile(opts.model, { imageSize: opts.imageSize, classes: opts.classes, resize: opts.resize, device: opts.device });
  const { model, metadata } = loaded;
  try {
    const note = assumptionNote(opts.model, loaded);
    if (note) opts.log?.(note);
    const threshold = opts.threshold ?? metadata.threshold;
    const items = opts.files.map((path) => ({ path, label: null }));
    const { probabilities, skipped } = await predictItems(model, metadata, items, {
      batchSize: opts.batchSize, device: opts.device, onProgress: opts.log && periodicProgress(opts.log, 'predicting', 'images'),
    });
    const reasons = new Map(skipped.map((s) => [s.index, s.reason]));
    return opts.files.map((path, i) => {
      const p = probabilities[i];
      if (reasons.has(i) || Number.isNaN(p)) return { path, error: reasons.get(i) ?? 'no prediction was made' };
      const predicted = p >= threshold ? 1 : 0;
      return { path, probability: p, predicted, label: metadata.classes[predicted] };
    });
  } finally {
    model.dispose();
  }
}
