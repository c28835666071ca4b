// Evaluation of a model on a labelled split: metrics.json, classification_report.txt, predictions.csv,
// the plots and a self-contained report.html (ARCHITECTURE.md, "Evaluation directory").
import path from 'node:path';
import { formatCsv } from '../data/csv.js';
import { periodicProgress } from '../data/progress.js';
import type { LoaderItem } from '../data/loader.js';
import { writeFileAtomicAsync } from '../io/atomic.js';
import { toolVersion, type ModelMetadata } from '../models/metadata.js';
import type { TaskKind } from '../models/bounds.js';
import {
  binaryMetrics, calibrationCurve, classificationReport, ECE_BINS, eceFromCurve, precisionRecallCurve,
  type CalibrationCurve, type MetricsJson,
} from '../metrics/index.js';
import {
  chartDataFromMetrics, probabilityDataFromPredictions, writeCharts, writeReport,
  type ChartData, type HistoryRow, type PredictionRow, type TrainingMarks,
} from '../report/index.js';
import type { EvaluateCommandOptions } from './types.js';
import { assumptionNote, givenThresholds, type ItemPredictions, type PredictItemsOptions } from './predict-items.js';
import { conformalTtaNote } from './tta.js';
import { checkEvaluationOut } from './out-folder.js';
import { copyReport, jsonWithNulls, writeEvaluationFolder } from './eval-folder.js';

export { jsonWithNulls } from './eval-folder.js';
import { writeMultiEvaluation } from './evaluate-multi.js';
import type { MulticlassMetrics, MultilabelMetrics } from '../tasks/evaluation.js';
import type { EvaluationInput } from './evaluation-input.js';

export type { EvaluationInput, ReportContext } from './evaluation-input.js';
import { labelledSplit } from './labelled-split.js';
import { trustComparisons } from './trust.js';
import { camGallery, type Explainer } from './gallery-cam.js';

/** Metrics that need both classes in the data: null when the evaluated images hold one class only. */
// Precision, F1 and AP are 1 (or 0) by construction when a class is absent: not results.
const BOTH_CLASSES = ['balanced_accuracy', 'mcc', 'precision', 'f1', 'average_precision'] as const;
const NEEDS_NEGATIVES = ['specificity'] as const;
const NEEDS_POSITIVES = ['recall'] as const;
type Nullable = (typeof BOTH_CLASSES)[number] | (typeof NEEDS_NEGATIVES)[number] | (typeof NEEDS_POSITIVES)[number];

export type BinaryEvaluationMetrics = Omit<MetricsJson, Nullable> & { [K in Nullable]: number | null } & {
  /** Expected calibration error over `ece_bins` equal-width bins (the reliability diagram's bins). */
  ece: number;
  ece_bins: number;
  unreadable?: { path: string; reason: string }[];
};

/**
 * binaryMetrics plus the expected calibration error, placed after log_loss (with the other probability scores).
 * The reliability diagram draws the same curve, so its title and metrics.json cannot disagree.
 */
function withCalibration(m: MetricsJson, cal: CalibrationCurve, nBins: number): BinaryEvaluationMetrics {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(m)) {
    out[k] = v;
    if (k === 'log_loss') Object.assign(out, { ece: eceFromCurve(cal), ece_bins: nBins });
  }
  return out as BinaryEvaluationMetrics;
}

/**
 * Images of one class only (a positives-only folder measures sensitivity): the metrics that compare the
 * classes are undefined, so they are written as null (the conventional 0 would read as a result), and
 * `warnings` says so. Returns that warning, or null with both classes present.
 */
function oneClassOnly(metrics: BinaryEvaluationMetrics, y: readonly number[], classes: readonly [string, string]): string | null {
  const pos = y.some((v) => v === 1), neg = y.some((v) => v === 0);
  if (pos && neg) return null;
  const present = pos ? 1 : 0;
  const nulled: Nullable[] = [...BOTH_CLASSES, ...(pos ? NEEDS_NEGATIVES : NEEDS_POSITIVES)];
  for (const k of nulled) metrics[k] = null;
  const warning = `the evaluated images hold only the class '${classes[present]}' (the model's ${present ? 'positive' : 'negative'} class): ` +
    `ROC AUC and its CI, ${nulled.join(', ').replace(/_/g, ' ')} need both classes and are null; ` +
    `${pos ? 'recall (sensitivity)' : 'specificity'} and accuracy are the rates this data measures`;
  metrics.warnings.push(warning);
  return warning;
}

/**
 * Both classes present, but the model puts every image on one side of the threshold: its accuracy is then just
 * that class's share (a 1:8 split gives 0.889), which reads like a result. Says so first in `warnings` (the
 * scikit-learn-style undefined-metric warnings follow from it). Returns the warning, or null.
 */
function onePredictedClass(metrics: BinaryEvaluationMetrics, p: readonly number[], threshold: number, classes: readonly [string, string]): string | null {
  const positives = p.filter((v) => v >= threshold).length;
  if (positives !== 0 && positives !== p.length) return null;
  const only = positives === 0 ? 0 : 1;
  const acc = metrics.accuracy;
  const warning = `at threshold ${threshold} the model predicts '${classes[only]}' for every image: accuracy ` +
    `${acc === null ? 'n/a' : Number(acc.toFixed(4))} is the share of '${classes[only]}' in this data, not a skill. Judge it by ` +
    "the AUC and the probabilities, and choose the threshold on validation (train with --threshold-method youden or f1) " +
    'or give one (--threshold)';
  metrics.warnings.unshift(warning);
  return warning;
}

/** metrics.json of any task: a binary model's (no `task` key, as before tasks), a multi-class or multi-label model's. */
export type AnyEvaluationMetrics = BinaryEvaluationMetrics | MulticlassMetrics | MultilabelMetrics;
/** What evaluate() returns (the name of the API before tasks; `'task' in m` tells a multi-class/-label model's). */
export type EvaluationMetrics = AnyEvaluationMetrics;

/** The evaluation folder's writer of each task: the binary one below, the C-class one in evaluate-multi.ts. */
const WRITERS: Record<TaskKind, (input: EvaluationInput) => Promise<AnyEvaluationMetrics>> = {
  binary: writeBinaryEvaluation,
  multiclass: writeMultiEvaluation,
  multilabel: writeMultiEvaluation,
};

/** Writes every evaluation file from predictions already made, as the model's task says; returns the metrics.json object. */
export function writeEvaluation(input: EvaluationInput): Promise<AnyEvaluationMetrics> {
  return WRITERS[input.metadata.task](input);
}

async function writeBinaryEvaluation(input: EvaluationInput): Promise<BinaryEvaluationMetrics> {
  const { items, probabilities, metadata, threshold } = input;
  const classes = metadata.classes as [string, string];
  const used = items.map((_, i) => i).filter((i) => !Number.isNaN(probabilities[i]));
  if (used.length === 0) throw new Error('no image of the split could be read; nothing to evaluate');
  const y = used.map((i) => items[i].label);
  const p = used.map((i) => probabilities[i]);

  // One binning for metrics.json's ece and the reliability diagram.
  const calibration = calibrationCurve(y, p, { nBins: ECE_BINS });
  const metrics = withCalibration(binaryMetrics(y, p, threshold, { classes }), calibration, ECE_BINS);
  const oneClass = oneClassOnly(metrics, y, classes);
  if (oneClass) input.log?.(`warning: ${oneClass}`);
  const oneSided = oneClass ? null : onePredictedClass(metrics, p, threshold, classes);
  if (oneSided) input.log?.(`warning: ${oneSided}`);
  const unreadable = input.skipped.map((s) => ({ path: items[s.index].relPath, reason: s.reason }));
  if (unreadable.length > 0) metrics.unreadable = unreadable;
  // Without TTA and before temperature scaling, when either applies (issue 20).
  const trust = await trustComparisons(input, used);
  Object.assign(metrics, trust.json);
  const split = input.split ?? 'test';
  const predicted = p.map((v) => (v >= threshold ? 1 : 0));
  const reportText = classificationReport(y, predicted, { labels: [0, 1], targetNames: classes, digits: 2 });
  const rows: PredictionRow[] = used.map((i, k) => ({
    path: items[i].relPath, label: classes[items[i].label], probability: p[k], predicted: classes[predicted[k]],
  }));

  const cams = input.explainer ? await camGallery(input.explainer, rows, used.map((i) => items[i].path), classes, threshold) : null;
  if (cams?.section) trust.sections.push(cams.section);
  const charts = chartsFor(metrics, calibration, y, p, rows, classes, threshold, input.context?.history ?? null, input.context?.trainingMarks ?? null);
  const ctx = input.context ?? {};
  // Every file goes to a staging folder first and replaces the earlier evaluation's only once all exist: a
  // failure (a full disk) never leaves two models' files mixed in the folder (eval-folder.ts).
  await writeEvaluationFolder(input.out, async (dir) => {
    await writeFileAtomicAsync(path.join(dir, 'metrics.json'), jsonWithNulls(metrics));
    await writeFileAtomicAsync(path.join(dir, 'classification_report.txt'), reportText);
    await writeFileAtomicAsync(path.join(dir, 'predictions.csv'),
      formatCsv(['path', 'label', 'probability', 'predicted'], rows.map((r) => [r.path, r.label, r.probability, r.predicted as string])));
    await writeCharts(dir, charts);
    await writeReport(path.join(dir, 'report.html'), {
      title: ctx.title ?? `tlearn evaluation: ${classes[1]} vs ${classes[0]}`,
      summary: { model: metadata.arch, 'image size': metadata.imageSize, threshold, [split === 'all' ? 'images' : `${split} images`]: used.length, ...ctx.summary },
      config: ctx.config, audit: ctx.audit ?? null, metrics: { ...metrics }, classificationReport: reportText, charts,
      predictions: rows, classes, threshold, gallery: { imageRoot: input.root, ...(cams ? { overlays: cams.overlays } : {}) }, footer: reportFooter(metadata),
      split, skipped: unreadable, posWeight: ctx.posWeight ?? null, ...(trust.sections.length ? { sections: trust.sections } : {}),
    });
  });
  if (ctx.reportFile) await copyReport(path.join(input.out, 'report.html'), ctx.reportFile, input.out);
  return metrics;
}


function chartsFor(metrics: BinaryEvaluationMetrics, cal: CalibrationCurve, y: number[], p: number[], rows: PredictionRow[], classes: [string, string],
  threshold: number, history: HistoryRow[] | null, marks: TrainingMarks | null): ChartData {
  const charts: ChartData = chartDataFromMetrics({ ...metrics, roc: finiteRoc(metrics.roc), auc_ci95: finiteCi(metrics.auc_ci95) });
  const { tn, fp, fn, tp } = metrics.confusion;
  if (charts.roc) charts.roc.operatingPoint = { fpr: fp / Math.max(1, fp + tn), tpr: tp / Math.max(1, tp + fn), threshold };
  const twoClasses = y.some((v) => v === 1) && y.some((v) => v === 0);
  if (twoClasses) {
    const pr = precisionRecallCurve(y, p);
    charts.pr = {
      precision: pr.precision, recall: pr.recall, averagePrecision: metrics.average_precision,
      prevalence: y.filter((v) => v === 1).length / y.length,
      operatingPoint: tp + fp > 0 ? { precision: tp / (tp + fp), recall: tp / Math.max(1, tp + fn), threshold } : null,
    };
  }
  charts.calibration = { ...cal, nBins: metrics.ece_bins, ece: metrics.ece, brier: metrics.brier };
  charts.probabilities = probabilityDataFromPredictions(rows, classes, threshold);
  if (history && history.length > 0) {
    charts.history = history;
    if (marks) charts.trainingMarks = marks;
  }
  return charts;
}

const finiteRoc = (roc: MetricsJson['roc']) =>
  roc.fpr.every((v) => v !== null) && roc.tpr.every((v) => v !== null)
    ? { fpr: roc.fpr as number[], tpr: roc.tpr as number[], thresholds: roc.thresholds }
    : undefined;
const finiteCi = (ci: MetricsJson['auc_ci95']): [number, number] | null =>
  ci[0] !== null && ci[1] !== null ? [ci[0], ci[1]] : null;


/** The tlearn that wrote the report, and the one that wrote the model when it differs (a PyTorch file has none). */
function reportFooter(metadata: ModelMetadata): string {
  const running = toolVersion();
  const writer = metadata.toolVersion;
  return writer !== 'unknown' && writer !== running ? `tlearn ${running} (model written by tlearn ${writer})` : `tlearn ${running}`;
}

/** A model loaded for an evaluation, whatever its engine: its metadata, what was assumed, and its predictions. */
export interface EvaluationModel {
  metadata: ModelMetadata;
  /** For a file without tlearn metadata: what came from defaults ('image size 224'). */
  assumed: string[];
  predict(items: readonly LoaderItem[], opts: PredictItemsOptions): Promise<ItemPredictions>;
  dispose(): void | Promise<void>;
  /** Grad-CAM overlays for the report (a libtorch model); absent: plain thumbnails. */
  explainer?: Explainer;
  /** Lines for the report's summary that describe the model beyond its metadata (e.g. the engine). */
  summary?: Record<string, unknown>;
}

/**
 * `tlearn evaluate MODEL DATA --out DIR` with the model `load` gives (called once the output folder is known to
 * be safe to write): the data read with the model's task and classes, split as in training, predicted and
 * written. src/eval's evaluate() loads a checkpoint in libtorch, src/deploy an .onnx file in onnxruntime.
 */
export async function evaluateWith(options: EvaluateCommandOptions,
  load: (opts: EvaluateCommandOptions) => EvaluationModel | Promise<EvaluationModel>): Promise<AnyEvaluationMetrics> {
  const opts = { ...options, model: path.resolve(options.model), data: path.resolve(options.data), out: path.resolve(options.out) };
  // Before anything is loaded or written: a run's own files and the data's images are never replaced.
  checkEvaluationOut(opts.out, opts.data);
  const loaded = await load(opts);
  const { metadata } = loaded;
  try {
    const note = assumptionNote(opts.model, loaded);
    if (note) opts.log(note);
    const sets = conformalTtaNote(metadata, opts.tta);
    if (sets) opts.log(sets);
    const { items, root, splitNotes } = await labelledSplit(opts, metadata);
    const summary: Record<string, unknown> = { 'model file': opts.model, ...loaded.summary, data: opts.data, split: opts.split, ...splitNotes };
    opts.log(`predicting ${items.length} image${items.length === 1 ? '' : 's'} of ${opts.data} (${opts.split})`);
    const { probabilities, skipped, plain, uncalibrated } = await loaded.predict(items, {
      batchSize: opts.batchSize, device: opts.device, onProgress: periodicProgress(opts.log, 'predicting', 'images'), source: opts.model,
      ...(opts.tta ? { tta: opts.tta } : {}),
    });
    for (const s of skipped) opts.log(`skipped ${items[s.index].relPath}: ${s.reason}`);
    if (skipped.length > 0 && skipped.length < items.length) {
      opts.log(`${skipped.length} of ${items.length} images could not be read: the metrics are over ${items.length - skipped.length} image${items.length - skipped.length === 1 ? '' : 's'}`);
    }
    return await writeEvaluation({
      out: opts.out, items, root, probabilities, skipped, threshold: opts.threshold ?? metadata.threshold,
      // --threshold replaces a multi-label model's thresholds too, for every label.
      metadata: { ...metadata, thresholds: givenThresholds(metadata, opts.threshold) },
      split: opts.split, context: { summary: opts.tta ? { ...summary, 'test-time augmentation': opts.tta } : summary }, log: opts.log,
      ...(plain ? { plain, tta: opts.tta ?? 'flip' } : {}), ...(uncalibrated ? { uncalibrated } : {}), ...(loaded.explainer ? { explainer: loaded.explainer } : {}),
    });
  } finally {
    await loaded.dispose();
  }
}

export { ignoredFilesLine } from './labelled-split.js';
