// `tlearn calibrate MODEL DATA [--temperature] [--conformal ALPHA] --out NEW`: temperature scaling and conformal
// prediction sets for a model that was trained without them (an earlier run, or a plain PyTorch state_dict), fitted
// on a labelled split of DATA (default val; the model's own split when DATA has none), written to a copy of the
// model. The temperature is fitted on the logits as training's --calibration temperature fits it; the decision
// threshold(s) move with it so that every decision stays as it was (p ≥ t ⇔ σ(z/T₀) ≥ t ⇔ σ(z/T) ≥ σ(T₀·logit(t)/T));
// q̂ is then fitted on the calibrated probabilities. The images must not have been trained on, and should be like
// those the model will meet: the sets' coverage holds for images exchangeable with them.
import { periodicProgress } from '../data/progress.js';
import type { Split } from '../data/types.js';
import type { Batch } from '../data/loader.js';
import { batchTensors } from '../data/tensor.js';
import { conformalCoverage, fitConformal, tooFewForAlpha, type ConformalCoverage, type ConformalFit } from '../metrics/index.js';
import { loadModelFile, saveModelFile, type ModelMetadata } from '../models/index.js';
import type { ModelFileOptions } from '../models/options.js';
import { calibrationError, fitTemperature, temperedProbabilities } from '../tasks/index.js';
import { scope, setNumThreads } from '../torch/index.js';
import { labelledSplit } from './labelled-split.js';
import { assumptionNote, predictWith } from './predict-items.js';
import { logitsOf } from './torch-engine.js';

export interface CalibrateOptions extends ModelFileOptions {
  model: string;
  data: string;
  /** The model copy to write (.safetensors or .pth). */
  out: string;
  format: 'safetensors' | 'pth';
  split: Split | 'all';
  /** Conformal sets' alpha, or null: none. */
  alpha: number | null;
  perClass: boolean;
  /** Fit a calibration temperature first. */
  temperature: boolean;
  seed?: number;
  valFraction?: number;
  testFraction?: number;
  batchSize?: number;
  device?: string;
  threads?: number;
  log: (line: string) => void;
}

export interface CalibrateResult {
  fit: ConformalFit | null;
  /** The sets' coverage on the images q̂ was fitted on (in-sample). */
  coverage: ConformalCoverage | null;
  /** The temperature fit: T, and the log loss and ECE on the split before and after. */
  temperature: { temperature: number; nllBefore: number; nllAfter: number; eceBefore: number; eceAfter: number; atBound: boolean } | null;
  metadata: ModelMetadata;
  /** Images fitted on, and those that could not be read and were left out. */
  images: number;
  skipped: number;
}

export async function calibrate(opts: CalibrateOptions): Promise<CalibrateResult> {
  if (opts.threads) setNumThreads(opts.threads);
  const loaded = loadModelFile(opts.model, { imageSize: opts.imageSize, classes: opts.classes, resize: opts.resize, device: opts.device, task: opts.task });
  const { model, metadata } = loaded;
  try {
    if (opts.alpha !== null && metadata.task === 'multilabel') {
      throw new CalibrateError(`${opts.model} is a multilabel model: conformal sets are for binary and multi-class models (a label has its own threshold)`);
    }
    const note = assumptionNote(opts.model, loaded);
    if (note) opts.log(note);
    const { items } = await labelledSplit({ ...opts, verb: 'calibrating on' }, metadata);
    opts.log(`predicting ${items.length} image${items.length === 1 ? '' : 's'} of ${opts.data} (${opts.split})`);
    // The logits (what a temperature is fitted on); the probabilities follow from them at any temperature.
    const device = opts.device ?? 'cpu';
    const engine = { width: model.outputs, probabilities: async (batch: Batch) => scope(() => logitsOf(model, batchTensors(batch, device).x).toFloat32Array()) };
    const result = await predictWith(engine, metadata, items, { batchSize: opts.batchSize, device, onProgress: periodicProgress(opts.log, 'predicting', 'images') });
    const skipped = new Set(result.skipped.map((s) => s.index));
    for (const s of result.skipped) opts.log(`skipped ${items[s.index]!.relPath}: ${s.reason}`);
    const used = items.map((_, i) => i).filter((i) => !skipped.has(i));
    if (used.length === 0) throw new CalibrateError(`${opts.data}: no image of the ${opts.split} split could be read`);
    const width = result.width, kind = metadata.task;
    const logits = Float32Array.from(used.flatMap((i) => Array.from(result.probabilities.subarray(i * width, (i + 1) * width))));
    const labelRows = used.map((i) => items[i]!);
    const labels = kind === 'multilabel'
      ? Float32Array.from(labelRows.flatMap((it) => metadata.classes.map((_, k) => (it.labels?.includes(k) ? 1 : 0))))
      : Float32Array.from(labelRows, (it) => it.label);
    const t0 = metadata.temperature ?? 1;
    const update: Partial<ModelMetadata> = {};
    let temperature: CalibrateResult['temperature'] = null;
    if (opts.temperature) {
      const fit = fitTemperature(kind, logits, labels, width);
      const before = temperedProbabilities(kind, logits, width, t0), after = temperedProbabilities(kind, logits, width, fit.temperature);
      temperature = {
        temperature: fit.temperature, nllBefore: fit.nllBefore, nllAfter: fit.nllAfter, atBound: fit.atBound,
        eceBefore: calibrationError(kind, before, labels, width), eceAfter: calibrationError(kind, after, labels, width),
      };
      if (fit.atBound) opts.log(`warning: the log loss is lowest at the end of the search interval (T = ${fit.temperature.toPrecision(3)}); the split may be too small or perfectly separated for a meaningful temperature`);
      // Every decision stays as it was: a threshold t on σ(z/T₀) is σ(T₀·logit(t)/T) on σ(z/T).
      const moved = (t: number) => (t <= 0 || t >= 1 ? t : 1 / (1 + Math.exp(-(t0 * Math.log(t / (1 - t))) / fit.temperature)));
      update.temperature = fit.temperature;
      update.threshold = moved(metadata.threshold);
      if (metadata.thresholds) update.thresholds = metadata.thresholds.map(moved);
      update.extra = { ...metadata.extra, calibration: {
        method: 'temperature', temperature: fit.temperature, fitted_by: 'tlearn calibrate', split: opts.split, images: used.length,
        log_loss_before: fit.nllBefore, log_loss_after: fit.nllAfter, ece_before: temperature.eceBefore, ece_after: temperature.eceAfter,
      } };
    }
    let fit: ConformalFit | null = null, coverage: ConformalCoverage | null = null;
    if (opts.alpha !== null) {
      const binary = kind === 'binary';
      const probs = temperedProbabilities(kind, logits, width, update.temperature ?? t0);
      const rows = used.map((_, k) => probs.subarray(k * width, (k + 1) * width));
      const y = Array.from(labels, Number);
      fit = fitConformal(rows, y, opts.alpha, binary, opts.perClass);
      const few = tooFewForAlpha(y, metadata.classes, opts.alpha, opts.perClass);
      if (few) opts.log(`warning: of the ${opts.split} images, ${few}`);
      coverage = conformalCoverage(rows, y, fit.qhat, binary, metadata.classes.length);
      update.conformal = { alpha: fit.alpha, qhat: typeof fit.qhat === 'number' ? fit.qhat : [...fit.qhat], n: fit.n };
    }
    // A plain state_dict's placeholders (tool version 'unknown', no date) are filled in by the writer.
    const { toolVersion: _v, createdAt: _c, ...rest } = metadata;
    const written = saveModelFile(opts.out, model, { ...(loaded.fromTlearn ? metadata : rest), ...update }, { format: opts.format });
    return { fit, coverage, temperature, metadata: written, images: used.length, skipped: skipped.size };
  } finally {
    model.dispose();
  }
}

/** A calibration that cannot be done with this model or data (exit 2). */
export class CalibrateError extends Error {}
