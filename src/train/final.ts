// After the phases: the best of the phases' best checkpoints becomes best_model_final (its weights are loaded
// into the model), the decision threshold is chosen on the validation set by config.threshold and stored in
// its metadata (the trainer then has src/eval's evaluateRun evaluate the test split and write the run report).
// A data-parallel run's ranks all take part: each validates its shard, rank 0 writes the file.
import fs from 'node:fs';
import path from 'node:path';
import { improves } from './callbacks/monitor.js';
import { checkpointMetadata, pickThreshold, pthCopy, writeCheckpoint } from './checkpoints.js';
import { validationPass, type ValidationResult } from './epoch.js';
import { sharedPhaseCache } from './cache/phase-caches.js';
import { calibrationError, fitTemperature, temperedProbabilities } from '../tasks/index.js';
import { conformalCoverage, describeQhat, fitConformal, tooFewForAlpha, type ConformalFit } from '../metrics/index.js';
import { rowsOf } from '../tasks/task.js';
import { restoreFile, type RunContext } from './phase.js';
import type { EpochRecord, PhaseSummary } from './types.js';
import type { TrainWorld } from './world.js';
import { modelFileMetadata, type ModelMetadata } from '../models/index.js';

export interface FinalModel {
  file: string;
  phase: PhaseSummary;
  epoch: number;
  metrics: Record<string, number>;
  threshold: number;
  /** Multi-label: one threshold per label; null otherwise. */
  thresholds: number[] | null;
  /** The metric that chose it among the phases' best (the last phase's checkpoint monitor) and its value. */
  monitor: string;
  monitorValue: number | null;
  /** What best_model_final's file holds besides the weights (the model to predict with is the engine's). */
  metadata: ModelMetadata;
}

/** A phase's best epoch as a candidate for the final model: its history row's metrics (null without a row). */
function phaseResult(ctx: RunContext, p: PhaseSummary): { phase: PhaseSummary; metrics: Record<string, number>; row: EpochRecord } | null {
  const row = ctx.state.history.find((r) => r.phase === p.name && r.epoch === p.bestEpoch);
  if (!row) return null;
  const metrics = { train_loss: row.train_loss, train_accuracy: row.train_accuracy, val_loss: row.val_loss, val_accuracy: row.val_accuracy, val_auc: row.val_auc };
  return { phase: p, metrics, row };
}

/** Picks the phase whose best checkpoint wins under the last phase's checkpoint monitor (ties: the earlier phase). */
export function choosePhase(ctx: RunContext): { phase: PhaseSummary; metrics: Record<string, number> } | null {
  const { monitor, mode } = ctx.config.phases[ctx.config.phases.length - 1]!.checkpoint;
  let chosen: { phase: PhaseSummary; metrics: Record<string, number> } | null = null;
  let bestValue = NaN;
  for (const p of ctx.state.phases) {
    if (!p.checkpoint || p.bestEpoch === null) continue;
    const r = phaseResult(ctx, p);
    if (!r) continue;
    const value = r.row[monitor];
    const better = chosen === null || (Number.isNaN(bestValue) && !Number.isNaN(value)) || improves(value, bestValue, mode);
    if (better) {
      chosen = { phase: p, metrics: r.metrics };
      bestValue = value;
    }
  }
  return chosen;
}

/**
 * A data-parallel run's choice: rank 0's, sent to the others as the phase's index (their disks need not hold the
 * checkpoint files that choosePhase looks for), so that every rank validates and predicts with the same weights.
 */
async function agreedPhase(ctx: RunContext, world: TrainWorld): Promise<{ phase: PhaseSummary; metrics: Record<string, number> } | null> {
  const mine = world.isMain ? choosePhase(ctx) : null;
  const index = await world.fromMain(mine ? ctx.state.phases.indexOf(mine.phase) : -1);
  if (world.isMain) return mine;
  const phase = ctx.state.phases[index];
  const r = phase ? phaseResult(ctx, phase) : null;
  return r && { phase: r.phase, metrics: r.metrics };
}

/**
 * Temperature scaling on the validation logits: T, the calibrated probabilities, and what the checkpoint records
 * (extra.calibration: T with the validation NLL and ECE before and after).
 */
function calibrate(ctx: RunContext, val: ValidationResult): { probs: Float32Array; record: Record<string, number | string> & { temperature: number } } {
  const task = ctx.engine.task;
  const fit = fitTemperature(task.kind, val.logits, val.labels, task.outputs);
  const probs = temperedProbabilities(task.kind, val.logits, task.outputs, fit.temperature);
  if (fit.atBound) {
    ctx.warn(`temperature scaling: the validation NLL is lowest at the end of the search interval (T = ${fit.temperature.toPrecision(3)}); ` +
      'the validation set may be too small or perfectly separated for a meaningful temperature');
  }
  const record = {
    method: 'temperature', temperature: fit.temperature,
    val_log_loss_before: fit.nllBefore, val_log_loss_after: fit.nllAfter,
    val_ece_before: calibrationError(task.kind, val.probs, val.labels, task.outputs),
    val_ece_after: calibrationError(task.kind, probs, val.labels, task.outputs),
  };
  ctx.emit({ type: 'info', message: `temperature scaling: T = ${fit.temperature.toPrecision(4)}; validation log loss ${fit.nllBefore.toFixed(4)} -> ${fit.nllAfter.toFixed(4)}, ` +
    `ECE ${record.val_ece_before.toFixed(4)} -> ${record.val_ece_after.toFixed(4)}` });
  return { probs, record };
}

/**
 * Split conformal prediction on the validation probabilities (after any temperature): q̂ for the configured
 * alpha, with a line on the validation sets it gives and a warning when the split is too small for alpha.
 */
function conformal(ctx: RunContext, probs: Float32Array, labels: Float32Array, c: { alpha: number; perClass: boolean }): ConformalFit {
  const task = ctx.engine.task, binary = task.kind === 'binary', { alpha } = c;
  const rows = rowsOf(probs, task.outputs), y = Array.from(labels, Number);
  const fit = fitConformal(rows, y, alpha, binary, c.perClass);
  const val = conformalCoverage(rows, y, fit.qhat, binary, task.classes.length);
  const few = tooFewForAlpha(y, task.classes, alpha, c.perClass);
  if (few) ctx.warn(`conformal: of the validation images, ${few}`);
  ctx.emit({ type: 'info', message: `conformal prediction sets (alpha ${alpha}${c.perClass ? ', per class' : ''}): ${describeQhat(fit.qhat, task.classes)}, from ${fit.n} validation images; ` +
    `on validation, mean set size ${val.meanSetSize.toFixed(2)}, coverage ${val.coverage.toFixed(3)}` });
  return fit;
}

/**
 * `again`: the run had trained every phase already (a --resume of a run killed while evaluating): the final
 * model is written again, without the checkpoint event that would read as a new best.
 */
export async function writeFinalModel(ctx: RunContext, again = false): Promise<FinalModel> {
  // Data-parallel: every rank validates its shard of the split (gathered, so every rank picks the same threshold
  // and temperature); rank 0 alone reads and writes the checkpoints.
  const world = ctx.engine.world ?? null;
  const main = !world || world.isMain;
  const pick = world ? await agreedPhase(ctx, world) : choosePhase(ctx);
  if (!pick) throw new Error('no phase trained for at least one epoch, so there is no model to save (check phases[].epochs)');
  const { phase, metrics } = pick;
  if (main) restoreFile(ctx, phase.checkpoint!);
  world?.broadcastModel(ctx.engine.model);
  // Validate the chosen weights once more for the scores the threshold is chosen on: the whole model, except in a
  // cross-validation, where the frozen prefix's outputs come from the shared cache its phase read (each image view
  // passes the frozen network once for the whole CV, issue 20); a plain run validates uncached, as it always did.
  const shared = sharedPhaseCache({ config: ctx.config, model: ctx.engine.model, trainLoader: ctx.trainLoader, shared: ctx.sharedCaches },
    ctx.config.phases.findIndex((p) => p.name === phase.name));
  const source = shared ? { loader: ctx.valLoader, split: 'val', cache: shared, stage: shared.stage, byPath: true } : { loader: ctx.valLoader, split: 'val', cache: null, stage: null };
  if (!main) {
    const mine = ctx.valLoader.plan(0).reduce((n, b) => n + b.indices.length, 0);
    ctx.emit({ type: 'info', message: `final validation: its ${mine} of the ${ctx.valLoader.items.length} validation images (for best_model_final)` });
  }
  const val = await validationPass(ctx.engine, source, { phase: phase.name, epoch: phase.bestEpoch! });
  // With calibration: temperature, T is fitted on these logits and the threshold chosen on the calibrated probabilities.
  const calibrated = ctx.config.calibration === 'temperature' ? calibrate(ctx, val) : null;
  const probs = calibrated?.probs ?? val.probs;
  if (ctx.onFinalValidation) {
    // validationPass leaves out the items whose file failed to decode; the others come in the loader's order.
    const skipped = new Set(ctx.valLoader.skipped.map((s) => s.index));
    const paths = ctx.valLoader.items.filter((_, i) => !skipped.has(i)).map((it) => it.path);
    ctx.onFinalValidation({ paths, probs, labels: val.labels });
  }
  const t = pickThreshold(ctx.engine.task, ctx.config, val.labels, probs);
  const sets = ctx.config.conformal ? conformal(ctx, probs, val.labels, ctx.config.conformal) : null;
  for (const w of t.warnings) ctx.warn(w);
  const file = ctx.paths.final(ctx.config.checkpointFormat);
  const meta = checkpointMetadata(ctx.identity, phase.name, phase.bestEpoch!, metrics, t, {
    selected_from: path.basename(phase.checkpoint ?? ctx.paths.best(phase.name, ctx.config.checkpointFormat)),
    ...(calibrated ? { calibration: calibrated.record } : {}),
  });
  if (calibrated) meta.temperature = calibrated.record.temperature;
  if (sets) meta.conformal = { ...sets, qhat: typeof sets.qhat === 'number' ? sets.qhat : [...sets.qhat] };
  // The other ranks hold the same metadata without writing it (they predict their share of the test split with it).
  const metadata = main ? writeCheckpoint(file, ctx.engine.model, meta, ctx.config.checkpointFormat) : modelFileMetadata(ctx.engine.model, meta, file);
  if (main && ctx.config.checkpointFormat === 'both') {
    // Also the phases' copies, in case a run was stopped between a phase's end and its .pth copy.
    for (const p of ctx.state.phases) if (p.checkpoint && fs.existsSync(p.checkpoint)) pthCopy(p.checkpoint);
    pthCopy(file);
  }
  // Chosen by the last phase's monitor (choosePhase), which can differ from the chosen phase's own.
  const monitor = ctx.config.phases[ctx.config.phases.length - 1]!.checkpoint.monitor;
  const monitorValue = metrics[monitor] ?? NaN;
  if (!again && main) ctx.emit({ type: 'checkpoint', phase: 'final', source_phase: phase.name, epoch: phase.bestEpoch!, file, monitor, value: monitorValue });
  return {
    file, phase, epoch: phase.bestEpoch!, metrics, threshold: t.threshold, thresholds: t.thresholds, monitor,
    monitorValue: Number.isFinite(monitorValue) ? monitorValue : null, metadata,
  };
}
