// Evaluation of a libtorch model: `tlearn evaluate CHECKPOINT DATA` (evaluate) and the end of a training run
// (evaluateRun); the data, metrics and folder writing they share with ONNX models are in evaluate.ts.
import path from 'node:path';
import { periodicProgress, type Dataset, type ImageCache } from '../data/index.js';
import { loadCheckpoint } from '../io/index.js';
import { loadModelFile, type ModelMetadata } from '../models/index.js';
import { writeReport, type HistoryRow, type ReportData, type TrainingMarks } from '../report/index.js';
import { setNumThreads } from '../torch/index.js';
import { evaluateWith, writeEvaluation, type AnyEvaluationMetrics } from './evaluate.js';
import type { ReportContext } from './evaluation-input.js';
import { predictItems, type ItemPredictions } from './predict.js';
import { camOverlays } from '../explain/index.js';
import type { EvaluateCommandOptions } from './types.js';

/** `tlearn evaluate MODEL DATA --out DIR` for a checkpoint (safetensors or .pth), in libtorch. */
export function evaluate(options: EvaluateCommandOptions): Promise<AnyEvaluationMetrics> {
  return evaluateWith(options, (opts) => {
    if (opts.threads) setNumThreads(opts.threads);
    const { model, metadata, assumed } = loadModelFile(opts.model, {
      imageSize: opts.imageSize, classes: opts.classes, resize: opts.resize, device: opts.device, task: opts.task,
    });
    return {
      metadata, assumed, predict: (items, o) => predictItems(model, metadata, items, o), dispose: () => model.dispose(),
      explainer: (files, classes) => camOverlays(model, metadata, files, classes, { device: opts.device }),
      ...(metadata.temperature ? { summary: { 'calibration temperature': metadata.temperature } } : {}),
    };
  });
}

/** A checkpoint's metadata (extra only is read), without building the model; {} when it has none. */
function loadCheckpointMetadata(file: string): Pick<ModelMetadata, 'extra'> {
  const m = loadCheckpoint(file).metadata as { extra?: unknown } | null | undefined;
  return { extra: m && typeof m.extra === 'object' && m.extra !== null ? m.extra as Record<string, unknown> : {} };
}

export interface EvaluateRunOptions {
  runDir: string;
  /** The checkpoint to evaluate (the run's best_model_final). */
  modelFile: string;
  /** The run's dataset (its test split is evaluated). */
  dataset: Pick<Dataset, 'items' | 'root' | 'source'>;
  config?: unknown;
  audit?: ReportData['audit'];
  history?: HistoryRow[];
  /** The final model's phase and epoch, and each phase's restored epoch (marked on the training curves). */
  trainingMarks?: TrainingMarks;
  summary?: Record<string, unknown>;
  batchSize?: number;
  device?: string;
  log?: (line: string) => void;
  /** The run's decoded images (its data check decoded the test split into it), so they are not decoded again. */
  imageCache?: ImageCache | null;
  /**
   * The pos_weight the run trained with ('auto' resolved; null = none). Default: the summary's pos_weight, a
   * number in the config, else the checkpoint's extra.pos_weight (the trainer records it there).
   */
  posWeight?: number | null;
  /**
   * How the test items are predicted, given the function that predicts some of them with the run's model: a
   * data-parallel run (src/train) has every rank predict its share and gathers the rows in the items' order.
   * Default: all of them here.
   */
  predictTest?: TestPrediction;
}

type TestItem = Dataset['items'][number];
/** Shares out `test`, has each part predicted by `predict`, and returns every item's predictions in `test`'s order. */
export type TestPrediction = (test: readonly TestItem[], predict: (items: TestItem[]) => Promise<ItemPredictions>) => Promise<ItemPredictions>;

const finiteNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);

/** The pos_weight the run used, from what evaluateRun was given; undefined when only the checkpoint can tell. */
function givenPosWeight(o: EvaluateRunOptions): number | null | undefined {
  if (o.posWeight !== undefined) return o.posWeight;
  if (finiteNumber(o.summary?.pos_weight)) return o.summary.pos_weight;
  const c = o.config as { posWeight?: unknown } | undefined;
  if (finiteNumber(c?.posWeight)) return c.posWeight;
  if (c && c.posWeight === null) return null;
  return undefined;
}

function metadataPosWeight(metadata: Pick<ModelMetadata, 'extra'>): number | null {
  const v = metadata.extra?.pos_weight;
  return finiteNumber(v) ? v : null;
}

/**
 * The end of `tlearn train`: evaluates the test split (when there is one) into RUN/eval/ and writes the run
 * report RUN/report.html. Returns the test metrics, or null when the data has no test split.
 */
export async function evaluateRun(o: EvaluateRunOptions): Promise<AnyEvaluationMetrics | null> {
  const test = o.dataset.items.filter((it) => it.split === 'test');
  const context: ReportContext = {
    title: `tlearn run: ${path.basename(o.runDir)}`, summary: { run: o.runDir, data: o.dataset.source, ...o.summary },
    config: o.config, audit: o.audit ?? null, history: o.history ?? null, trainingMarks: o.trainingMarks ?? null,
    reportFile: path.join(o.runDir, 'report.html'),
  };
  const given = givenPosWeight(o);
  if (test.length === 0) {
    // 'auto' was resolved by the trainer: its value is in the checkpoint's metadata.
    const posWeight = given !== undefined ? given : metadataPosWeight(loadCheckpointMetadata(o.modelFile));
    await writeReport(context.reportFile!, { ...context, posWeight, charts: o.history?.length ? { history: o.history, trainingMarks: o.trainingMarks ?? null } : null });
    return null;
  }
  const { model, metadata } = loadModelFile(o.modelFile, { device: o.device });
  context.posWeight = given !== undefined ? given : metadataPosWeight(metadata);
  try {
    o.log?.(`evaluating the test split (${test.length} image${test.length === 1 ? '' : 's'})`);
    const predict = (items: readonly TestItem[]) => predictItems(model, metadata, items, {
      batchSize: o.batchSize, device: o.device, cache: o.imageCache, onProgress: o.log && periodicProgress(o.log, 'evaluating', 'images'),
      source: o.modelFile,
    });
    const { probabilities, skipped, uncalibrated } = await (o.predictTest ? o.predictTest(test, predict) : predict(test));
    return await writeEvaluation({
      out: path.join(o.runDir, 'eval'), items: test, root: o.dataset.root, probabilities, skipped, metadata,
      threshold: metadata.threshold, context, ...(uncalibrated ? { uncalibrated } : {}),
      explainer: (files, classes) => camOverlays(model, metadata, files, classes, { device: o.device, cache: o.imageCache ?? null }),
    });
  } finally {
    model.dispose();
  }
}
