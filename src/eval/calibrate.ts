// `tlearn calibrate MODEL DATA --conformal ALPHA --out NEW`: conformal prediction sets for a model that was trained
// without them (a run without --conformal, or a plain PyTorch state_dict): q̂ is fitted on a labelled split of DATA
// (default val; the model's own split when DATA has none) with the model's probabilities (its temperature
// included), and a copy of the model is written with it. The images must not have been trained on, and should
// be like those the model will meet: the sets' coverage holds for images exchangeable with them.
import { periodicProgress } from '../data/progress.js';
import type { Split } from '../data/types.js';
import { conformalCoverage, fitConformal, tooFewForAlpha, type ConformalCoverage, type ConformalFit } from '../metrics/index.js';
import { loadModelFile, saveModelFile, type ModelMetadata } from '../models/index.js';
import type { ModelFileOptions } from '../models/options.js';
import { setNumThreads } from '../torch/index.js';
import { labelledSplit } from './labelled-split.js';
import { assumptionNote } from './predict-items.js';
import { predictItems } from './predict.js';

export interface CalibrateOptions extends ModelFileOptions {
  model: string;
  data: string;
  /** The model copy to write (.safetensors or .pth). */
  out: string;
  format: 'safetensors' | 'pth';
  split: Split | 'all';
  alpha: number;
  perClass: boolean;
  seed?: number;
  valFraction?: number;
  testFraction?: number;
  batchSize?: number;
  device?: string;
  threads?: number;
  log: (line: string) => void;
}

export interface CalibrateResult {
  fit: ConformalFit;
  /** The sets' coverage on the images q̂ was fitted on (in-sample). */
  coverage: ConformalCoverage;
  metadata: ModelMetadata;
  /** Images that could not be read and were left out. */
  skipped: number;
}

export async function calibrate(opts: CalibrateOptions): Promise<CalibrateResult> {
  if (opts.threads) setNumThreads(opts.threads);
  const loaded = loadModelFile(opts.model, { imageSize: opts.imageSize, classes: opts.classes, resize: opts.resize, device: opts.device, task: opts.task });
  const { model, metadata } = loaded;
  try {
    if (metadata.task === 'multilabel') {
      throw new CalibrateError(`${opts.model} is a multilabel model: conformal sets are for binary and multi-class models (a label has its own threshold)`);
    }
    const note = assumptionNote(opts.model, loaded);
    if (note) opts.log(note);
    const { items } = await labelledSplit({ ...opts, verb: 'calibrating on' }, metadata);
    opts.log(`predicting ${items.length} image${items.length === 1 ? '' : 's'} of ${opts.data} (${opts.split})`);
    const result = await predictItems(model, metadata, items, {
      batchSize: opts.batchSize, device: opts.device, source: opts.model, onProgress: periodicProgress(opts.log, 'predicting', 'images'),
    });
    const skipped = new Set(result.skipped.map((s) => s.index));
    for (const s of result.skipped) opts.log(`skipped ${items[s.index]!.relPath}: ${s.reason}`);
    const used = items.map((_, i) => i).filter((i) => !skipped.has(i));
    if (used.length === 0) throw new CalibrateError(`${opts.data}: no image of the ${opts.split} split could be read`);
    const width = result.width, binary = metadata.task === 'binary';
    const rows = used.map((i) => result.probabilities.subarray(i * width, (i + 1) * width));
    const labels = used.map((i) => items[i]!.label);
    const fit = fitConformal(rows, labels, opts.alpha, binary, opts.perClass);
    const few = tooFewForAlpha(labels, metadata.classes, opts.alpha, opts.perClass);
    if (few) opts.log(`warning: of the ${opts.split} images, ${few}`);
    const coverage = conformalCoverage(rows, labels, fit.qhat, binary, metadata.classes.length);
    const conformal = { alpha: fit.alpha, qhat: typeof fit.qhat === 'number' ? fit.qhat : [...fit.qhat], n: fit.n };
    // A plain state_dict's placeholders (tool version 'unknown', no date) are filled in by the writer.
    const { toolVersion: _v, createdAt: _c, ...rest } = metadata;
    const written = saveModelFile(opts.out, model, { ...(loaded.fromTlearn ? metadata : rest), conformal }, { format: opts.format });
    return { fit, coverage, metadata: written, skipped: skipped.size };
  } finally {
    model.dispose();
  }
}

/** A calibration that cannot be done with this model or data (exit 2). */
export class CalibrateError extends Error {}
