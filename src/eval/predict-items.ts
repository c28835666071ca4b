// The part of prediction that does not depend on the engine: the model's own preprocessing (the loader), the
// loop over batches of uint8 images, the rows of `tlearn predict` and the notes about assumed values. The
// engine (libtorch in predict.ts, onnxruntime in src/deploy) only turns a batch of pixels into probabilities.
import { DataLoader } from '../data/loader.js';
import type { ImageCache } from '../data/cache.js';
import type { Batch, LoaderItem, SkippedItem } from '../data/loader.js';
import { channelsLastPays } from '../models/memory-format.js';
import type { ModelMetadata } from '../models/metadata.js';
import { predictRow } from '../tasks/decide.js';
import type { Decision } from '../tasks/task.js';
import type { PredictRow } from './types.js';
import type { TtaMode } from './tta.js';

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
  /** Test-time augmentation (both engines): the mean of the probabilities of the image's views (tta.ts). */
  tta?: TtaMode | null;
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
  /** With test-time augmentation: the probabilities without it (same layout as `probabilities`). */
  plain?: Float64Array;
  /** For a model with a calibration temperature: the probabilities at temperature 1. */
  uncalibrated?: Float64Array;
}

/** One batch's probabilities and, where the engine makes them, the reference variants (see ItemPredictions). */
export interface EngineVariants {
  main: Float32Array;
  plain?: Float32Array;
  uncalibrated?: Float32Array;
}

/**
 * What an engine does with a loader batch (uint8 pixels of the model's image size; `batch.indices` its items):
 * `width` probabilities per image, row-major. It throws when they are not finite, naming the images.
 */
export interface ProbabilityEngine {
  readonly width: number;
  probabilities(batch: Batch, paths: string[]): Promise<Float32Array>;
  /** The probabilities with their reference variants, from the same forward passes (engines that have them). */
  variants?(batch: Batch, paths: string[]): Promise<EngineVariants>;
}

/** The loader of predictItems: the model's preprocessing, in channels-last where that is faster unless told. */
export function predictionLoader(meta: ModelMetadata, items: readonly LoaderItem[], opts: PredictItemsOptions = {}): DataLoader {
  return new DataLoader(items, {
    imageSize: meta.imageSize, resize: meta.resize, dicomWindows: meta.dicomWindows ?? null, mean: meta.mean, std: meta.std,
    batchSize: opts.batchSize ?? 32, train: false, cache: opts.cache ?? null,
    channelsLast: opts.channelsLast ?? channelsLastPays(opts.device ?? 'cpu', meta.imageSize),
  });
}

/** Runs an engine over the items with the preprocessing stored in the model's metadata. */
export async function predictWith(engine: ProbabilityEngine, meta: ModelMetadata, items: readonly LoaderItem[],
  opts: PredictItemsOptions = {}): Promise<ItemPredictions> {
  const width = engine.width;
  const probabilities = new Float64Array(items.length * width).fill(NaN);
  const extra: { plain?: Float64Array; uncalibrated?: Float64Array } = {};
  const loader = predictionLoader(meta, items, opts);
  let done = 0;
  const put = (into: Float64Array, p: Float32Array, indices: number[]) =>
    indices.forEach((item, k) => into.set(p.subarray(k * width, (k + 1) * width), item * width));
  for await (const batch of loader.epoch(0)) {
    const paths = batch.indices.map((i) => items[i]!.path);
    const v: EngineVariants = engine.variants ? await engine.variants(batch, paths) : { main: await engine.probabilities(batch, paths) };
    put(probabilities, v.main, batch.indices);
    for (const key of ['plain', 'uncalibrated'] as const) {
      const p = v[key];
      if (p) put(extra[key] ??= new Float64Array(items.length * width).fill(NaN), p, batch.indices);
    }
    done += batch.indices.length;
    opts.onProgress?.(done, items.length);
  }
  return { probabilities, width, skipped: loader.skipped, ...extra };
}

/** What was assumed for a model file without tlearn metadata ('image size 224', 'classes 0,1'). */
export interface Assumed { assumed: string[]; metadata: Pick<ModelMetadata, 'resize' | 'imageSize'> }

/**
 * For a plain PyTorch state_dict (or an ONNX file without tlearn metadata), the line that says what was assumed
 * (it records neither its input size nor its class names, and a wrong size changes every probability), or null.
 */
export function assumptionNote(file: string, loaded: Assumed): string | null {
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

/** How a model's probabilities become predictions: its threshold(s), or --threshold, and its conformal sets if fitted. */
export function decisionFor(metadata: Pick<ModelMetadata, 'threshold' | 'thresholds' | 'conformal'>, threshold?: number): Decision & { thresholds: number[] | null } {
  return {
    threshold: threshold ?? metadata.threshold, thresholds: givenThresholds(metadata, threshold),
    conformal: metadata.conformal ? { qhat: metadata.conformal.qhat } : null,
  };
}

/** A model's conformal fit as a server describes it (null: none). */
export const conformalInfo = (m: Pick<ModelMetadata, 'conformal'>): { alpha: number; qhat: number | number[] } | null =>
  (m.conformal ? { alpha: m.conformal.alpha, qhat: m.conformal.qhat } : null);

/** `tlearn predict`'s rows from an engine's probabilities: one per file, in order; an error row where there is none. */
export function predictionRows(files: readonly string[], result: ItemPredictions, metadata: ModelMetadata,
  opts: { threshold?: number; topK?: number }): PredictRow[] {
  const decision = decisionFor(metadata, opts.threshold);
  const { probabilities, width, skipped } = result;
  const reasons = new Map(skipped.map((s) => [s.index, s.reason]));
  return files.map((path, i): PredictRow => {
    const row = probabilities.subarray(i * width, (i + 1) * width);
    if (reasons.has(i) || row.some(Number.isNaN)) return { path, error: reasons.get(i) ?? 'no prediction was made' };
    return { path, ...predictRow(metadata.task, metadata.classes, row, decision, opts.topK ?? 0) };
  });
}
