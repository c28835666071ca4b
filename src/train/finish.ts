// The end of a run, after its last phase: best_model_final (the best epoch of all phases, with its validation
// threshold), the test evaluation and the run report (src/eval), the done event and the result; and the result
// of a --resume that finds nothing left to do.
import fs from 'node:fs';
import path from 'node:path';
import { fmtSignificant, type ImageCache, type PreparedData } from '../data/index.js';
import { evaluateRun, predictItems, type AnyEvaluationMetrics } from '../eval/index.js';
import { loadCheckpoint } from '../io/index.js';
import type { RunConfig } from './config/index.js';
import { writeFinalModel, type FinalModel } from './final.js';
import type { RunContext } from './phase.js';
import type { runPaths } from './run-dir.js';
import type { RunState } from './resume/state.js';
import type { TrainWorld } from './world.js';
import type { RunResult, TrainEvent } from './types.js';

/**
 * A --resume of a run that has finished every phase and gets no more epochs, and has its final model (and,
 * unless evaluation is skipped, its report: a run killed while evaluating is not finished): there is nothing
 * to do. What it returns describes the run from its final model, and `done` is the event that ends its
 * stream; nothing is trained or written.
 */
export function finishedRun(config: RunConfig, paths: ReturnType<typeof runPaths>, state: RunState, evaluates: boolean): { result: RunResult; done: TrainEvent } | null {
  if (state.phaseIndex < config.phases.length || state.phase !== null) return null;
  const file = paths.final(config.checkpointFormat);
  // Stopped between the last phase and best_model_final, or during the evaluation: the end of the run is still to do.
  if (!fs.existsSync(file) || (evaluates && !fs.existsSync(path.join(paths.root, 'report.html')))) return null;
  const meta = loadCheckpoint(file).metadata as { phase?: unknown; epoch?: unknown; metrics?: unknown; threshold?: unknown };
  const metrics: Record<string, number> = { ...(meta.metrics as Record<string, number> ?? {}) };
  const phase = typeof meta.phase === 'string' ? meta.phase : null;
  const epoch = typeof meta.epoch === 'number' ? meta.epoch : null;
  const threshold = typeof meta.threshold === 'number' ? meta.threshold : 0.5;
  const monitor = config.phases.at(-1)!.checkpoint.monitor;
  const seconds = state.elapsedSeconds;
  return {
    result: {
      runDir: paths.root, config, history: state.history, phases: state.phases, bestModel: file,
      best: phase !== null && epoch !== null ? { phase, epoch, metrics } : null,
      threshold, interrupted: false, alreadyFinished: true, seconds,
    },
    done: {
      type: 'done', run: paths.root, best_model: file, phase, epoch, val_auc: metrics.val_auc ?? null, threshold, seconds,
      evaluated: false, monitor, monitor_value: metrics[monitor] ?? null, pos_weight: state.posWeight, ...outputsOf(paths.root), test: null,
    },
  };
}

/** Where a run's report and test metrics are, for the done event (null for files that are not there). */
function outputsOf(root: string): { report: string | null; metrics: string | null } {
  const there = (f: string) => (fs.existsSync(f) ? f : null);
  return { report: there(path.join(root, 'report.html')), metrics: there(path.join(root, 'eval', 'metrics.json')) };
}

/** The run report's summary, in words a reader of the report understands (the done event has the raw values). */
function runSummary(config: RunConfig, final: FinalModel, positive: string | null, posWeight: number | null, seconds: number): Record<string, unknown> {
  const method = config.threshold.method;
  const how = method === 'fixed' ? 'fixed' : `chosen on validation: ${method}`;
  return {
    'model file (for predict and evaluate)': final.file + (config.checkpointFormat === 'both' ? ' (.pth copy beside it for PyTorch)' : ''),
    'chosen from': `${final.phase.name} epoch ${final.epoch}: the best ${final.monitor} on validation of all phases`,
    'validation AUC': final.metrics.val_auc ?? null,
    // Binary: one threshold on the positive class; multilabel: one per label; multiclass: the most probable class.
    threshold: positive !== null
      ? `${fmtSignificant(final.threshold)} (${how}): a probability of '${positive}' at or above it predicts '${positive}'`
      : final.thresholds
        ? `one per label (${how}): ${final.thresholds.map((t) => fmtSignificant(t)).join(', ')}`
        : 'none: the most probable class is predicted',
    'starting weights': config.model.weights === 'none' ? 'none (random initialisation)' : config.model.weights,
    pos_weight: posWeight ?? 'none (unweighted loss)',
    // Up to the final model (the test evaluation and this report come after); resumed runs count every session.
    'training duration': seconds,
  };
}

export interface FinishInput {
  data: PreparedData;
  /** Test images of the run (the evaluation runs when there are any). */
  testImages: number;
  /** The run was resumed with every phase done: killed while evaluating. */
  onlyEvaluation: boolean;
  skipEvaluation: boolean;
  imageCache: ImageCache;
  /** Progress lines of the evaluation. */
  log: (line: string) => void;
}

/**
 * Writes the final model, evaluates the test split into RUN/eval/ with the report RUN/report.html, emits done.
 * Data-parallel: every rank validates its shard for the final model and predicts its shard of the test split;
 * rank 0 gathers them and writes everything, the others return once their rows are sent.
 */
export async function finishRun(ctx: RunContext, f: FinishInput): Promise<RunResult> {
  const { config, paths, state } = ctx;
  const world = ctx.engine.world ?? null;
  if (f.onlyEvaluation) ctx.emit({ type: 'info', message: `${paths.root}: every phase had finished; finishing the interrupted evaluation` });
  const final = await writeFinalModel(ctx, f.onlyEvaluation);
  const result = (evaluation: AnyEvaluationMetrics | null, seconds: number): RunResult => ({
    runDir: paths.root, config, history: state.history, phases: state.phases, bestModel: final.file,
    best: { phase: final.phase.name, epoch: final.epoch, metrics: final.metrics }, threshold: final.threshold,
    interrupted: false, ...(evaluation ? { evaluation } : {}), seconds,
  });
  if (world && !world.isMain) {
    if (!f.skipEvaluation) await predictTestShare(ctx, world, final, f);
    return result(null, ctx.elapsed());
  }
  let evaluation: AnyEvaluationMetrics | null = null;
  let evaluated = false;
  if (!f.skipEvaluation) {
    evaluation = await evaluateRun({
      runDir: paths.root, modelFile: final.file, dataset: f.data.dataset, config, audit: f.data.audit, history: state.history,
      summary: runSummary(config, final, f.data.dataset.positiveClass, state.posWeight, ctx.elapsed()), posWeight: state.posWeight,
      trainingMarks: {
        model: { phase: final.phase.name, epoch: final.epoch },
        restored: state.phases.filter((p) => p.bestEpoch !== null).map((p) => ({ phase: p.name, epoch: p.bestEpoch! })),
      },
      batchSize: config.batchSize, device: config.device, log: f.log, imageCache: f.imageCache,
      ...(world ? { predictTest: (test, predict) => world.gatherPredictions(test, predict) } : {}),
    });
    evaluated = f.testImages > 0;
  }
  const seconds = ctx.elapsed();
  ctx.emit({
    type: 'done', run: paths.root, best_model: final.file, phase: final.phase.name, epoch: final.epoch,
    val_auc: final.metrics.val_auc ?? null, threshold: final.threshold, seconds, evaluated,
    monitor: final.monitor, monitor_value: final.monitorValue, pos_weight: state.posWeight, ...outputsOf(paths.root),
    // A multi-label model's accuracy is its subset accuracy (every label right).
    test: evaluated && evaluation ? { n: evaluation.n, auc: evaluation.auc, accuracy: 'subset_accuracy' in evaluation ? evaluation.subset_accuracy : evaluation.accuracy } : null,
  });
  return result(evaluation, seconds);
}

/**
 * A data-parallel rank other than 0: its share of the test split, predicted with the final weights it holds (the
 * same as best_model_final's, which only rank 0's disk need hold) and sent to rank 0 (world.gatherPredictions,
 * as rank 0's evaluateRun does it). Nothing when there is no test split (rank 0 then predicts nothing either).
 */
async function predictTestShare(ctx: RunContext, world: TrainWorld, final: FinalModel, f: FinishInput): Promise<void> {
  const test = f.data.dataset.items.filter((it) => it.split === 'test');
  if (test.length === 0) return;
  const model = ctx.engine.model;
  const temperature = model.temperature;
  model.temperature = final.metadata.temperature ?? 1;
  try {
    await world.gatherPredictions(test, (items) => {
      f.log(`predicting its ${items.length} of the ${test.length} test images`);
      return predictItems(model, final.metadata, items, { batchSize: ctx.config.batchSize, device: ctx.config.device, cache: f.imageCache, source: final.file });
    });
  } finally {
    model.temperature = temperature;
  }
}
