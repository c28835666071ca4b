// After the phases: the best of the phases' best checkpoints becomes best_model_final (its weights are loaded
// into the model), the decision threshold is chosen on the validation set by config.threshold and stored in
// its metadata (the trainer then has src/eval's evaluateRun evaluate the test split and write the run report).
import fs from 'node:fs';
import path from 'node:path';
import { improves } from './callbacks/monitor.js';
import { checkpointMetadata, pickThreshold, pthCopy, writeCheckpoint } from './checkpoints.js';
import { validationPass, type ValidationResult } from './epoch.js';
import { sharedPhaseCache } from './cache/phase-caches.js';
import { calibrationError, fitTemperature, temperedProbabilities } from '../tasks/index.js';
import { restoreFile, type RunContext } from './phase.js';
import type { PhaseSummary } from './types.js';

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
}

/** Picks the phase whose best checkpoint wins under the last phase's checkpoint monitor (ties: the earlier phase). */
export function choosePhase(ctx: RunContext): { phase: PhaseSummary; metrics: Record<string, number> } | null {
  const { monitor, mode } = ctx.config.phases[ctx.config.phases.length - 1]!.checkpoint;
  let chosen: { phase: PhaseSummary; metrics: Record<string, number> } | null = null;
  let bestValue = NaN;
  for (const p of ctx.state.phases) {
    if (!p.checkpoint || p.bestEpoch === null) continue;
    const row = ctx.state.history.find((r) => r.phase === p.name && r.epoch === p.bestEpoch);
    if (!row) continue;
    const value = row[monitor];
    const metrics = { train_loss: row.train_loss, train_accuracy: row.train_accuracy, val_loss: row.val_loss, val_accuracy: row.val_accuracy, val_auc: row.val_auc };
    const better = chosen === null || (Number.isNaN(bestValue) && !Number.isNaN(value)) || improves(value, bestValue, mode);
    if (better) {
      chosen = { phase: p, metrics };
      bestValue = value;
    }
  }
  return chosen;
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
 * `again`: the run had trained every phase already (a --resume of a run killed while evaluating): the final
 * model is written again, without the checkpoint event that would read as a new best.
 */
export async function writeFinalModel(ctx: RunContext, again = false): Promise<FinalModel> {
  const pick = choosePhase(ctx);
  if (!pick) throw new Error('no phase trained for at least one epoch, so there is no model to save (check phases[].epochs)');
  const { phase, metrics } = pick;
  restoreFile(ctx, phase.checkpoint!);
  // Validate the chosen weights once more for the scores the threshold is chosen on: the whole model, except in a
  // cross-validation, where the frozen prefix's outputs come from the shared cache its phase read (each image view
  // passes the frozen network once for the whole CV, issue 20); a plain run validates uncached, as it always did.
  const shared = sharedPhaseCache({ config: ctx.config, model: ctx.engine.model, trainLoader: ctx.trainLoader, shared: ctx.sharedCaches },
    ctx.config.phases.findIndex((p) => p.name === phase.name));
  const source = shared ? { loader: ctx.valLoader, split: 'val', cache: shared, stage: shared.stage, byPath: true } : { loader: ctx.valLoader, split: 'val', cache: null, stage: null };
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
  for (const w of t.warnings) ctx.warn(w);
  const file = ctx.paths.final(ctx.config.checkpointFormat);
  const meta = checkpointMetadata(ctx.identity, phase.name, phase.bestEpoch!, metrics, t, {
    selected_from: path.basename(phase.checkpoint!),
    ...(calibrated ? { calibration: calibrated.record } : {}),
  });
  if (calibrated) meta.temperature = calibrated.record.temperature;
  writeCheckpoint(file, ctx.engine.model, meta, ctx.config.checkpointFormat);
  if (ctx.config.checkpointFormat === 'both') {
    // Also the phases' copies, in case a run was stopped between a phase's end and its .pth copy.
    for (const p of ctx.state.phases) if (p.checkpoint && fs.existsSync(p.checkpoint)) pthCopy(p.checkpoint);
    pthCopy(file);
  }
  // Chosen by the last phase's monitor (choosePhase), which can differ from the chosen phase's own.
  const monitor = ctx.config.phases[ctx.config.phases.length - 1]!.checkpoint.monitor;
  const monitorValue = metrics[monitor] ?? NaN;
  if (!again) ctx.emit({ type: 'checkpoint', phase: 'final', source_phase: phase.name, epoch: phase.bestEpoch!, file, monitor, value: monitorValue });
  return { file, phase, epoch: phase.bestEpoch!, metrics, threshold: t.threshold, thresholds: t.thresholds, monitor, monitorValue: Number.isFinite(monitorValue) ? monitorValue : null };
}
