// One phase: set what trains, make a new optimizer, scheduler and callbacks, run epochs (each followed by
// validation, callbacks, the best checkpoint, the history and RUN/last), then restore the phase's best
// weights — always, whether early stopping fired or not.
import fs from 'node:fs';
import type { BatchPlan, DataLoader } from '../data/index.js';
import type { InputSource } from './inputs.js';
import { cpuCache } from '../torch/index.js';
import type { RunConfig } from './config/index.js';
import { applyTrainable, setTrainModes, trainableParameters } from './plan.js';
import { createOptimizer, headLr, type AnyOptimizer } from './optimizers.js';
import { phaseCallbacks } from './callbacks/phase-callbacks.js';
import type { FeatureCache } from './cache/feature-cache.js';
import { closePhaseCaches, openPhaseCaches } from './cache/phase-caches.js';
import { emptyTotals, gradClipOf, trainPass, validationPass, type ValidationResult } from './epoch.js';
import { mixSettingsOf } from './mixup.js';
import { stepsPerEpoch } from './accumulation.js';
import { WeightAverage } from './weight-average.js';
import { recomputeBatchNorm, SwaSchedule } from './swa.js';
import { swaStartEpochs } from './config/phases.js';
import { checkpointMetadata, pickThreshold, pthCopy, recordMetrics, restoreWeights, writeCheckpoint, type RunIdentity } from './checkpoints.js';
import { writeHistory } from './history.js';
import { saveRunState, type LoadedRunState, type PhaseProgress, type RunState } from './resume/state.js';
import type { LastWriter } from './resume/last-writer.js';
import type { Engine } from './engine.js';
import type { RunPaths } from './run-dir.js';
import type { StopController } from './signals.js';
import type { EpochRecord, PhaseSummary, TrainEvent, TrainOptions } from './types.js';
import type { SharedFeatureCaches } from './cache/shared.js';

export interface RunContext {
  config: RunConfig;
  paths: RunPaths;
  engine: Engine;
  identity: RunIdentity;
  trainLoader: DataLoader;
  valLoader: DataLoader;
  /** Mutated as the run goes; saved to RUN/last. */
  state: RunState;
  /** Writes RUN/last in the background. */
  lastWriter: LastWriter;
  stop: StopController;
  emit: (e: TrainEvent) => void;
  warn: (message: string) => void;
  /** Seconds of earlier sessions of this run plus this one so far. */
  elapsed: () => number;
  /** The frozen-prefix cache a finished phase filled for the next one (cache/phase-caches.ts); owned by the run. */
  carriedCache: FeatureCache | null;
  /** Caches shared with other runs (TrainOptions.featureCaches), or null. */
  sharedCaches: SharedFeatureCaches | null;
  /**
   * The checkpoint file whose weights the model holds exactly (it was just written from them, or read into it),
   * or null once training has changed them: restoring that file again would be a no-op read of the disk.
   */
  weightsOf: string | null;
  /** Called with the final model's validation probabilities (TrainOptions.onFinalValidation). */
  onFinalValidation?: TrainOptions['onFinalValidation'];
}

/** Rank 0 of a data-parallel run, or a single process: the one that writes the run folder. */
export const isMain = (ctx: RunContext): boolean => !ctx.engine.world || ctx.engine.world.isMain;

/** Snapshots the run into RUN/last; the writing goes on in the background (ctx.lastWriter.flush() waits for it). */
function save(ctx: RunContext, optimizer: AnyOptimizer | null, opts: { phaseEnded?: boolean; average?: WeightAverage | null } = {}): Promise<void> {
  ctx.state.elapsedSeconds = ctx.elapsed();
  // Every rank holds the same weights and optimizer state: rank 0's copy is the run's.
  if (!isMain(ctx)) return Promise.resolve();
  return saveRunState(ctx.paths, ctx.engine.model, optimizer, ctx.state, ctx.lastWriter, { phaseEnded: opts.phaseEnded, ema: opts.average });
}

/**
 * Runs (or continues, with `resumed`) phase `index`. Returns false when a stop was requested: RUN/last
 * then holds the state to continue from.
 */
export async function runPhase(ctx: RunContext, index: number, resumed: LoadedRunState | null): Promise<boolean> {
  const { config, engine, state } = ctx;
  const world = engine.world ?? null;
  const main = isMain(ctx);
  const pc = config.phases[index]!;
  const model = engine.model;
  applyTrainable(model, pc.trainable);
  setTrainModes(model, config.bnPolicy);
  // `ended`: how the phase's last epoch left it (what RUN/last holds right now), kept so that a resume with a
  // higher epoch limit can continue the phase (resume/plan.ts); undefined for a phase that trained nothing.
  const finish = async (summary: PhaseSummary, optimizerEpochs: number, ended?: PhaseProgress | null, announce = true): Promise<void> => {
    state.phases.push(summary);
    state.phaseIndex = index + 1;
    state.phase = null;
    state.midEpoch = null;
    if (ended !== undefined) state.ended = ended ? { index, progress: ended } : null;
    // A phase boundary is on disk before anyone hears of it (rare, and the next phase starts from it).
    await save(ctx, null, { phaseEnded: !!ended });
    await ctx.lastWriter.flush();
    if (!announce) return;
    ctx.emit({
      type: 'phase', event: 'end', phase: pc.name, index, epochs: optimizerEpochs, stopped_early: summary.stoppedEarly,
      best_epoch: summary.bestEpoch, best: summary.best, monitor: summary.monitor,
    });
  };
  if (pc.epochs === 0) {
    // No phase start/end events for a phase that does not train: one line (an info event) says it was skipped.
    ctx.emit({ type: 'info', message: `Phase ${pc.name}: 0 epochs, skipped` });
    await finish({ name: pc.name, epochs: 0, stoppedEarly: false, bestEpoch: null, best: null, monitor: pc.checkpoint.monitor, checkpoint: null }, 0, undefined, false);
    return true;
  }

  const optimizer = createOptimizer(pc, model);
  const steps = stepsPerEpoch(ctx.trainLoader.length, config.accumulateGradBatches);
  // Said when the phase begins (a resume within it said it before).
  if (config.ema && !(resumed && state.phase)) warnShortAverage(ctx, pc.name, config.ema.decay, pc.epochs * steps);
  // Made from the weights the phase starts from (or, resumed, the live ones; its averages are loaded below).
  const average = config.ema ? new WeightAverage(model, { kind: 'ema', decay: config.ema.decay }) : pc.swa ? new WeightAverage(model, { kind: 'swa' }) : null;
  const swa = pc.swa ? new SwaSchedule(pc.swa, optimizer, swaStartEpochs(pc.swa, pc.epochs)) : null;
  // Whether an epoch's validation (and best checkpoint) sees the average: every epoch's with ema, SWA's with swa.
  const validatesAverage = (epoch: number): boolean => average !== null && (swa === null || swa.averages(epoch));
  // What a checkpoint of that epoch holds, in its metadata (extra.weight_average): which average, of how much.
  const averageRecord = (epoch: number): Record<string, unknown> => {
    if (!validatesAverage(epoch)) return {};
    const of = swa ? { kind: 'swa', epochs: [swa.before + 1, epoch] } : { kind: 'ema', decay: config.ema!.decay };
    return { weight_average: { ...of, updates: average!.updates } };
  };
  const bestFile = ctx.paths.best(pc.name, config.checkpointFormat);
  const { callbacks, best } = phaseCallbacks(pc, optimizer, steps, {
    saveBest: ({ record, val, epoch }, value) => {
      if (!main) return;
      saveBest(ctx, bestFile, pc.name, epoch, record, val, averageRecord(epoch));
      ctx.emit({ type: 'checkpoint', phase: pc.name, epoch, file: bestFile, monitor: pc.checkpoint.monitor, value });
    },
    lrLowered: (epoch, lr) => ctx.emit({ type: 'lr', phase: pc.name, epoch, lr }),
  }, swa);
  let epochsDone = 0;
  let stopped = false;
  let mid = state.midEpoch;
  const progress = state.phase;
  if (resumed && progress) {
    if (progress.optimizer) {
      const tensors = resumed.optimizerTensors();
      try {
        optimizer.loadStateDict({ meta: progress.optimizer, tensors });
      } finally {
        for (const t of tensors.values()) t.dispose();
      }
    }
    for (const c of callbacks) {
      const saved = progress[c.key];
      if (saved) c.loadStateDict(saved);
    }
    if (average && progress.ema) {
      const tensors = resumed.emaTensors();
      try {
        average.load(tensors, progress.ema.updates);
      } finally {
        for (const t of tensors.values()) t.dispose();
      }
    }
    epochsDone = progress.epochsDone;
    stopped = progress.stopped;
  }
  const snapshot = (): void => {
    state.phase = {
      // The optimizer's part is filled in by each save (saveRunState); until then it is the one RUN/last holds.
      epochsDone, stopped, optimizer: state.phase?.optimizer ?? null, scheduler: null, earlyStopping: null, best: best.stateDict(),
      ...Object.fromEntries(callbacks.map((c) => [c.key, c.stateDict()])),
      ...(average ? { ema: { updates: average.updates } } : {}),
    };
  };
  snapshot();

  const caches = openPhaseCaches({ config, model, trainLoader: ctx.trainLoader, device: engine.device, spillRoot: ctx.paths.featureCache, shared: ctx.sharedCaches }, index, ctx.carriedCache);
  ctx.carriedCache = null;
  // The activations of an earlier phase (its frozen forward, a cache it dropped) have shapes this phase will
  // not make again: their idle memory goes back to the system before this phase makes its own.
  cpuCache.empty();
  const { cache, carry } = caches;
  ctx.emit({
    type: 'phase', event: 'start', phase: pc.name, index, trainable: pc.trainable,
    trainable_parameters: trainableParameters(model).reduce((n, p) => n + p.numel, 0),
    cache: cache ? `${cache.stage} output per image view` : null, cache_entries: cache?.size ?? 0,
  });
  if (swa && !(resumed && progress)) {
    const from = swa.before + 1;
    ctx.emit({ type: 'info', message: `Phase ${pc.name}: weight averaging (swa) of epoch${from === pc.epochs ? ` ${from}` : `s ${from}-${pc.epochs}`}, validated and checkpointed from epoch ${from}` });
  }
  let lastVal: ValidationResult | null = null;
  let lastRecord: EpochRecord | null = null;
  // Data-parallel: the gradients of what trains in this phase are averaged over the ranks during backward.
  const reducer = world ? world.reducer(trainableParameters(model)) : null;
  const clip = gradClipOf(config.clipGradNorm, optimizer);
  const mixing = mixSettingsOf(config);
  const trainSource = { loader: ctx.trainLoader, split: 'train', cache, stage: cache ? cache.stage : null, carry, byPath: ctx.sharedCaches !== null };
  try {
    while (!stopped && epochsDone < pc.epochs) {
      if (world ? await world.any(ctx.stop.stopRequested) : ctx.stop.stopRequested) {
        // RUN/last holds this point once the save of the last epoch (or of the phase boundary) is on disk.
        await ctx.lastWriter.flush();
        ctx.emit({ type: 'interrupted', phase: pc.name, epoch: epochsDone + 1, batch: 0, batches: ctx.trainLoader.length, state: ctx.paths.last });
        return false;
      }
      const epoch = epochsDone + 1;
      const lr = mid?.lr ?? headLr(optimizer);
      // RUN/last holds the sums of all ranks: rank 0 continues them, the others add their own from zero.
      const totals = mid && main ? { ...mid.totals } : emptyTotals();
      const startBatch = mid?.batchesDone ?? 0;
      mid = null;
      state.midEpoch = null;
      // This phase trains now: an earlier phase's end can no longer be continued.
      state.ended = null;
      ctx.weightsOf = null; // this epoch's steps change them
      const plans = ctx.trainLoader.plan(state.globalEpoch);
      const cut = await trainPass({
        engine, optimizer, source: trainSource, plans, startBatch, totals, phase: pc.name, epoch, stop: ctx.stop, reducer, clip, accumulate: config.accumulateGradBatches,
        mixup: mixing && { settings: mixing, seed: config.seed, epoch: state.globalEpoch },
        afterStep: () => {
          if (config.ema) average!.update();
          for (const c of callbacks) c.afterStep?.();
        },
        onBatch: (b, n, t, stepLr) => ctx.emit({ type: 'batch', phase: pc.name, epoch, batch: b, batches: n, loss: t.lossSum / Math.max(1, t.seen), images: t.seen, seconds: t.seconds, lr: stepLr }),
      });
      if (world) {
        // The epoch's sums over all ranks (every rank computes the same record; rank 0's time).
        [totals.lossSum, totals.correct, totals.seen] = await world.sum([totals.lossSum, totals.correct, totals.seen]);
      }
      if (cut !== null) {
        state.midEpoch = { batchesDone: cut, totals, lr };
        // A per-batch schedule has moved since the epoch began: RUN/last keeps where it is now.
        snapshot();
        await save(ctx, optimizer, { average });
        await ctx.lastWriter.flush();
        ctx.emit({ type: 'interrupted', phase: pc.name, epoch, batch: cut, batches: plans.length, state: ctx.paths.last });
        return false;
      }
      // Validation and the best checkpoint see the weight averages; training goes on from the live weights.
      // The validation's time includes SWA's pass that gives the average its BatchNorm statistics.
      const tVal = performance.now();
      if (swa?.averages(epoch)) average!.update();
      const averaged = validatesAverage(epoch);
      if (averaged) await swapInAverage(ctx, average!, swa, trainSource, plans);
      world?.broadcastBuffers(model);
      const val = await validationPass(engine, { loader: ctx.valLoader, split: 'val', cache, stage: trainSource.stage, carry, byPath: trainSource.byPath }, { phase: pc.name, epoch });
      const valSeconds = (performance.now() - tVal) / 1000;
      for (const c of [cache, carry]) {
        const failed = c?.takeSpillError();
        if (failed) ctx.warn(`feature cache (${c!.stage}): cannot write to its spill folder (${failed}); what does not fit in featureCache.memoryMB is computed again when needed`);
        const full = c?.takeDiskLimitNotice();
        if (full) ctx.warn(`feature cache (${c!.stage}): ${full}; the views beyond it are computed again when needed`);
      }
      const record: EpochRecord = {
        phase: pc.name, epoch, lr,
        train_loss: totals.lossSum / totals.seen, train_accuracy: totals.correct / totals.seen,
        val_loss: val.loss, val_accuracy: val.accuracy, val_auc: val.auc,
        seconds: totals.seconds + valSeconds, images_per_second: totals.seen / Math.max(totals.seconds, 1e-9),
      };
      lastVal = val;
      lastRecord = record;
      epochsDone = epoch;
      state.globalEpoch += 1;
      state.history.push(record);
      // Before the checkpoint: a best checkpoint that fails to save (a full disk) must not lose the epoch's row.
      if (main) writeHistory(ctx.paths.root, state.history);
      ctx.emit({ type: 'epoch', ...record });

      // Every callback runs, in order (best checkpoint, LR plateau, early stopping); any may end the phase.
      for (const c of callbacks) if (c.afterEpoch({ record, val, epoch }) === 'stop') stopped = true;
      if (averaged) {
        average!.swapOut();
        // The live weights are back: a checkpoint just written holds the averages, not what the model holds.
        ctx.weightsOf = null;
      }
      snapshot();
      await save(ctx, optimizer, { average });
    }

    if (swa && stopped && !swa.averages(epochsDone)) {
      ctx.warn(`phase ${pc.name}: early stopping ended it after epoch ${epochsDone}, before its weight averaging (swa) began after epoch ${swa.before}; ` +
        'its result has no average (start the averaging earlier with swa.start, or raise earlyStopping.patience)');
    }
    // Taken before the best weights come back: RUN/last holds this (the last epoch's save, or the state resumed from).
    const endProgress = state.phase;
    if (best.bestEpoch !== null) {
      // Rank 0 reads its checkpoint and sends the weights to the others (whose disk need not hold the run folder).
      if (main) restoreFile(ctx, bestFile);
      world?.broadcastModel(model);
    } else if (lastRecord && lastVal) {
      // No epoch had a valid monitored value (e.g. an undefined AUC every time): keep the last weights as the phase's result.
      ctx.warn(`phase ${pc.name}: no epoch had a valid ${pc.checkpoint.monitor}; keeping the weights of its last epoch`);
      // Those its last validation saw: with ema or in SWA's epochs, the averages.
      if (validatesAverage(lastRecord.epoch)) await adoptAverage(ctx, average!, swa, trainSource);
      if (main) saveBest(ctx, bestFile, pc.name, lastRecord.epoch, lastRecord, lastVal, averageRecord(lastRecord.epoch));
    } else if (main && !fileExists(bestFile)) {
      ctx.warn(`phase ${pc.name}: no checkpoint was written`);
    }
    if (main && config.checkpointFormat === 'both' && fileExists(bestFile)) pthCopy(bestFile);
    await finish({
      name: pc.name, epochs: epochsDone, stoppedEarly: stopped, bestEpoch: best.bestEpoch ?? lastRecord?.epoch ?? null,
      best: best.bestEpoch !== null ? best.best : null, monitor: pc.checkpoint.monitor,
      checkpoint: fileExists(bestFile) ? bestFile : null,
    }, epochsDone, epochsDone > 0 && endProgress?.optimizer ? endProgress : null);
    return true;
  } finally {
    reducer?.close();
    ctx.carriedCache = closePhaseCaches(caches, ctx.sharedCaches);
    optimizer.dispose();
    average?.dispose();
  }
}

/** The average into the model for validation; SWA's with BatchNorm statistics of its own, from the epoch's inputs. */
async function swapInAverage(ctx: RunContext, average: WeightAverage, swa: SwaSchedule | null, source: InputSource, plans: readonly BatchPlan[]): Promise<void> {
  average.swapIn();
  if (swa) await recomputeBatchNorm(ctx.engine, source, plans);
}

/** The average as the phase's result (its last epoch's, whose plans the loader draws again). */
async function adoptAverage(ctx: RunContext, average: WeightAverage, swa: SwaSchedule | null, source: InputSource): Promise<void> {
  average.swapIn();
  if (swa) await recomputeBatchNorm(ctx.engine, source, ctx.trainLoader.plan(ctx.state.globalEpoch - 1));
  ctx.engine.world?.broadcastBuffers(ctx.engine.model);
  average.adopt();
}

const fileExists = (f: string): boolean => fs.existsSync(f);

/** An average over more steps than the phase has leans on the weights of its first steps (the decay is per step). */
function warnShortAverage(ctx: RunContext, phase: string, decay: number, steps: number): void {
  const span = 1 / (1 - decay);
  if (span <= steps) return;
  const fits = steps >= 6 ? `; a decay of ${(1 - 3 / steps).toFixed(3)} averages about a third of them` : '';
  ctx.warn(`ema: decay ${decay} averages about ${Math.round(span)} optimizer steps, but phase ${phase} has at most ${steps}: ` +
    `its average leans on the weights of its first steps${fits}`);
}

function saveBest(ctx: RunContext, file: string, phase: string, epoch: number, record: EpochRecord, val: ValidationResult, extra: Record<string, unknown>): void {
  const t = pickThreshold(ctx.engine.task, ctx.config, val.labels, val.probs);
  for (const w of t.warnings) ctx.warn(w);
  const meta = checkpointMetadata(ctx.identity, phase, epoch, recordMetrics(record), t, extra);
  writeCheckpoint(file, ctx.engine.model, meta, ctx.config.checkpointFormat);
  ctx.weightsOf = file;
}

/** Loads a checkpoint's weights into the model, unless it holds them already (ctx.weightsOf). */
export function restoreFile(ctx: RunContext, file: string): void {
  if (ctx.weightsOf === file) return;
  restoreWeights(ctx.engine.model, file);
  ctx.weightsOf = file;
}
