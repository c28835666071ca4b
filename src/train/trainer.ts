// train(config, options): the whole run. Prepares the data (manifest.csv, audit.json), builds the model
// from the pretrained backbone, runs the configured phases (the seed protocol by default) with resume
// state after every epoch, writes best_model_final with its validation threshold, and evaluates the test
// split when src/evaluate is available. Progress goes to a terminal, plain lines, or JSON lines.
import fs from 'node:fs';
import { availableParallelism } from 'node:os';
import { cuda, getNumThreads, manualSeed, setNumThreads } from '../torch/index.js';
import {
  auditWarnings, DataLoader, fmtSignificant, ImageCache, isViewDeterministic, prepareData, type DataItem, type PreparedData,
} from '../data/index.js';
import { createClassifier, type ImageClassifier, type TaskKind } from '../models/index.js';
import { createTask, type Task } from '../tasks/index.js';
import { lossSettingIssues, resolveLossSettings } from './loss-settings.js';
import { ConfigError, configToJSON, resolveConfig, usesChannelsLast, type RunConfig } from './config/index.js';
import type { RunConfigInput } from './config/input.js';
import { evaluateRun, type EvaluationMetrics } from '../eval/index.js';
import { isRunFailure } from './failures.js';
import { toChannelsLast, type Engine } from './engine.js';
import { writeFinalModel, type FinalModel } from './final.js';
import { writeHistory } from './history.js';
import { runPhase, type RunContext } from './phase.js';
import { Progress, resumeLine } from './progress.js';
import { loadCheckpoint } from '../io/index.js';
import path from 'node:path';
import { prepareRunDir, RunDirError, runPaths, writeTextAtomic } from './run-dir.js';
import { StopController } from './signals.js';
import { checkResumeConfig, checkStateConfig, stateConfig } from './resume/config.js';
import { configWarnings } from './config/warnings.js';
import { planResume, ResumePlanError } from './resume/plan.js';
import { LastWriter } from './resume/last-writer.js';
import { removeStaleSpillDirs } from './cache/phase-caches.js';
import { dataDigest, loadRunState, saveRunState, STATE_VERSION, type LoadedRunState, type RunState } from './resume/state.js';
import type { RunResult, TrainEvent, TrainOptions } from './types.js';

/** Thrown for a run that cannot start as configured (device, data): bad input, the CLI exits with 2. */
export class TrainSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainSetupError';
  }
}

/** An error found while setting the run up, as a TrainSetupError (bad input), unless it is a failure of the run. */
function asSetupError(e: unknown): unknown {
  if (!(e instanceof Error) || e instanceof TrainSetupError || e instanceof ConfigError || e instanceof RunDirError || isRunFailure(e)) return e;
  const wrapped = new TrainSetupError(e.message);
  wrapped.cause = e;
  return wrapped;
}

function setupRuntime(config: RunConfig): void {
  // 0 = all cores: src/torch already starts with every core unless OMP_NUM_THREADS / TLEARN_THREADS say otherwise.
  if (config.threads > 0) setNumThreads(config.threads);
  else if (!process.env.TLEARN_THREADS && !process.env.OMP_NUM_THREADS) setNumThreads(availableParallelism());
  if (config.device === 'cuda' && !cuda.isAvailable()) {
    throw new TrainSetupError(
      "device 'cuda' was requested, but this libtorch has no CUDA support or sees no GPU; use --device cpu, " +
      'or build the addon against a CUDA libtorch (LIBTORCH=/path/to/libtorch-cuda npm run build:native)',
    );
  }
}

/** The items by split (prepareData has made sure that train and val have both classes). */
function splitItems(data: PreparedData): Record<'train' | 'val' | 'test', DataItem[]> {
  const out = { train: [] as DataItem[], val: [] as DataItem[], test: [] as DataItem[] };
  for (const it of data.dataset.items) out[it.split].push(it);
  return out;
}

/** Binary: n_negative / n_positive of the training split for 'auto'; the number itself; or null (and null for other tasks). */
function resolvePosWeight(config: RunConfig, train: DataItem[], task: TaskKind): number | null {
  if (config.posWeight === null || task !== 'binary') return null;
  if (typeof config.posWeight === 'number') return config.posWeight;
  const pos = train.filter((i) => i.label === 1).length;
  return (train.length - pos) / pos;
}

/** The info line that says which pos_weight the loss uses (printed once per session). */
function posWeightLine(config: RunConfig, value: number, train: DataItem[]): string {
  if (config.posWeight !== 'auto') return `pos_weight ${fmtSignificant(value)} (from the configuration)`;
  const pos = train.filter((i) => i.label === 1).length;
  return `pos_weight ${fmtSignificant(value)} (auto: ${train.length - pos} negative / ${pos} positive training images)`;
}

/**
 * A --resume of a run that has finished every phase and gets no more epochs, and has its final model (and,
 * unless evaluation is skipped, its report: a run killed while evaluating is not finished): there is nothing
 * to do. What it returns describes the run from its final model, and `done` is the event that ends its
 * stream; nothing is trained or written.
 */
function finishedRun(config: RunConfig, paths: ReturnType<typeof runPaths>, state: RunState, evaluates: boolean): { result: RunResult; done: TrainEvent } | null {
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

function freshState(digest: string, posWeight: number | null, config: RunConfig): RunState {
  return {
    version: STATE_VERSION, dataDigest: digest, phaseIndex: 0, globalEpoch: 0, phase: null, midEpoch: null,
    phases: [], history: [], posWeight, elapsedSeconds: 0, savedAt: '', baseTag: null, config: stateConfig(config),
  };
}

/**
 * Trains one run into `opts.out`. `input` is a config file's shape (only data.path is required; defaults fill
 * the rest) or a complete RunConfig; it is checked here (ConfigError) as a file would be. One train() per
 * process at a time: libtorch's random generator and thread count are process-wide, so concurrent runs are
 * not reproducible.
 */
export async function train(input: RunConfigInput, opts: TrainOptions): Promise<RunResult> {
  const t0 = performance.now();
  // Checked (and completed) here too, so a configuration built in code gets the same messages as a file.
  const config = resolveConfig({ raw: input });
  const paths = runPaths(opts.out);
  const resume = opts.resume ?? false;
  const progress = new Progress(opts.log ?? opts.output ?? process.stdout, { json: opts.json, quiet: opts.quiet });
  const emit = (e: TrainEvent): void => {
    progress.handle(e);
    if ((e.type !== 'batch' && e.type !== 'check') || opts.batchEvents) opts.onEvent?.(e);
  };
  const warn = (message: string): void => emit({ type: 'warning', message });
  // Settings that are valid but cannot act as meant (a minLr at or above the lr, say): said to every caller.
  for (const w of configWarnings(config)) warn(w);
  if (config.phases.every((p) => p.epochs === 0)) {
    const keys = config.phases.map((_, i) => `phases[${i}].epochs`);
    throw new TrainSetupError(`every phase has 0 epochs, so there is nothing to train: set ${keys.join(' or ')} above 0`);
  }
  // A start that fails on bad input before writing anything leaves no empty --out folder behind (removed in
  // finally), nor the parents it created for a nested --out.
  const createdTop = firstMissingAncestor(paths.root);
  const removeCreated = () => { if (createdTop) removeEmptyUpTo(paths.root, createdTop); };
  let setupFailed = false;
  prepareRunDir(paths, { resume, overwrite: opts.overwrite ?? false });
  let saved: RunConfig | null;
  try {
    saved = resume ? checkResumeConfig(paths, config) : null;
    setupRuntime(config);
  } catch (e) {
    removeCreated();
    throw e;
  }
  const stop = new StopController({ signal: opts.signal, handleSigint: opts.handleSigint, onFirst: (m) => progress.message(m) });
  let model: ImageClassifier | undefined;
  let task: Task | undefined;
  let engine: Engine | undefined;
  let ctx: RunContext | undefined;
  const lastWriter = new LastWriter();
  // Until training starts, an error is about the inputs (data, weights file, saved state): bad input.
  let settingUp = true;
  try {
    // Checking the data decodes every file; it decodes to the eval transform into the loaders' cache (memory,
    // then RUN/.image-cache), so the first epoch and the test evaluation do not decode again. Random-resized
    // crops start from the original file every time, so their training images are only checked.
    const imageCache = new ImageCache({
      memoryBytes: config.imageCache.memoryMB === null ? undefined : config.imageCache.memoryMB * 2 ** 20, dir: paths.imageCache,
      onDiskError: (why) => warn(`image cache: ${why}; the images that do not fit in memory (imageCache.memoryMB) are decoded again when needed`),
    });
    const checkStart = performance.now();
    const data = await prepareData(config.data.csv ?? config.data.path, {
      positive: config.data.positive ?? undefined, seed: config.seed, valFraction: config.data.valFraction,
      testFraction: config.data.testFraction, imageSize: config.input.imageSize, resize: config.input.resize, outDir: paths.root,
      cache: imageCache, cacheSplits: isViewDeterministic(config.augment) ? ['train', 'val', 'test'] : ['val', 'test'], task: config.task,
      onProgress: (done, total) => emit({ type: 'check', done, total, seconds: (performance.now() - checkStart) / 1000 }),
    });
    const split = splitItems(data);
    const digest = dataDigest(data);
    const kind = data.dataset.task;
    const classes = data.dataset.classes;
    const misplaced = lossSettingIssues(config, kind, classes.length);
    if (misplaced.length > 0) throw new ConfigError(misplaced.map((message) => ({ path: 'config', message })));

    let loaded: LoadedRunState | null = null;
    let reopenMessage: string | null = null;
    if (resume) {
      loaded = loadRunState(paths, config.phases.length);
      if (loaded.state.dataDigest !== digest) {
        throw new TrainSetupError(`cannot resume ${paths.root}: the data differs from the run's (files, labels, splits or contents changed since manifest.csv was written)`);
      }
      checkStateConfig(paths, loaded.state.config, saved!);
      loaded.state.config ??= stateConfig(saved!); // a state from before the check: recorded from now on
      // Epoch limits changed on resume: refused, or a finished phase continued (before config.json is rewritten).
      let plan: ReturnType<typeof planResume>;
      try {
        plan = planResume(config, saved!, loaded.state);
      } catch (e) {
        if (e instanceof ResumePlanError) throw new TrainSetupError(`cannot resume ${paths.root}: ${e.message}`);
        throw e;
      }
      if (plan.reopen !== null) loaded.reopen(plan.reopen);
      reopenMessage = plan.message;
      // Nothing left to train: say so and leave every file as it was (no new evaluation or report either).
      const finished = plan.reopen === null ? finishedRun(config, paths, loaded.state, !opts.skipEvaluation) : null;
      if (finished) {
        const n = loaded.state.history.length;
        emit({ type: 'info', message: `${paths.root} had already finished (${n} epoch${n === 1 ? '' : 's'}); nothing left to train` });
        emit(finished.done);
        return finished.result;
      }
    }
    // Said once the run is known to train (a finished run resumed only says that it had finished).
    emit({ type: 'info', message: data.summary });
    for (const w of auditWarnings(data.audit, { posWeightSet: config.posWeight !== null })) warn(w);
    const state = loaded?.state ?? freshState(digest, resolvePosWeight(config, split.train, kind), config);
    if (state.posWeight !== null) emit({ type: 'info', message: posWeightLine(config, state.posWeight, split.train) });
    const loss = resolveLossSettings(config, kind, split.train, classes, state.posWeight);
    if (loss.line) emit({ type: 'info', message: loss.line });
    task = createTask(kind, classes, loss.settings, config.device);

    // The model: seeded init of the head, pretrained backbone, then the saved weights when resuming.
    manualSeed(config.seed);
    const created = await createClassifier({
      arch: config.model.arch, dropout: config.model.dropout, weights: config.model.weights, outputs: task.outputs, activation: task.activation,
    });
    model = created.model;
    // A trained binary classifier (a tlearn checkpoint, the seed's .pth) as weights: its head is not carried over.
    if (!loaded && created.pretrained.droppedKeys.some((k) => k.startsWith('fc.1.'))) {
      warn(`${config.model.weights} is a trained binary classifier: only its backbone is used, and this run trains a new head ` +
        'from scratch (to use that model as it is, evaluate or predict with it; to continue its training, --resume its run)');
    }
    if (config.device !== 'cpu') model.to(config.device);
    const channelsLast = usesChannelsLast(config);
    if (channelsLast) toChannelsLast(model);
    loaded?.restoreModel(model);
    engine = {
      model, task, device: config.device, precision: config.precision, channelsLast, bnPolicy: config.bnPolicy,
    };

    // Spill folders of runs killed with kill -9 in a shared featureCache.dir (a resume never reuses them).
    if (config.featureCache.dir) {
      const stale = removeStaleSpillDirs(config.featureCache.dir);
      if (stale.length > 0) {
        emit({ type: 'info', message: `removed ${stale.length} feature-cache folder${stale.length === 1 ? '' : 's'} left by killed runs: ${stale.join(', ')}` });
      }
    }

    const common = {
      imageSize: config.input.imageSize, resize: config.input.resize, batchSize: config.batchSize, seed: config.seed,
      channelsLast, cache: imageCache, mean: config.input.mean, std: config.input.std,
    } as const;
    const toLoader = (items: DataItem[]) => items.map((i) => ({ path: i.path, label: i.label, ...(i.labels ? { labels: i.labels } : {}) }));
    const labelled = { ...common, labelWidth: task.labelWidth };
    const trainLoader = new DataLoader(toLoader(split.train), { ...labelled, train: true, augment: config.augment, augmentBaseSide: config.input.presize });
    const valLoader = new DataLoader(toLoader(split.val), { ...labelled, train: false });
    if (trainLoader.length === 0) throw new TrainSetupError(`the training split has ${split.train.length} image(s): not enough for one batch`);

    const elapsedBase = state.elapsedSeconds;
    ctx = {
      config, paths, engine, identity: { config, task: kind, classes, posWeight: state.posWeight, loss: loss.settings }, trainLoader, valLoader, state, lastWriter, stop, emit, warn,
      elapsed: () => elapsedBase + (performance.now() - t0) / 1000, carriedCache: null,
    };
    writeHistory(paths.root, state.history);
    emit({
      type: 'start', run: paths.root, resumed: resume, arch: config.model.arch, device: config.device, threads: getNumThreads(),
      precision: config.precision, channels_last: channelsLast, images: { train: split.train.length, val: split.val.length, test: split.test.length },
      task: kind, classes: [...classes], positive_class: data.dataset.positiveClass,
      phases: config.phases.map((p) => ({ name: p.name, trainable: p.trainable, epochs: p.epochs, lr: p.lr })),
    });
    settingUp = false;
    if (reopenMessage) emit({ type: 'info', message: reopenMessage });
    if (loaded) {
      const at = resumeLine({
        phases: config.phases, phaseIndex: state.phaseIndex, phase: state.phase, midEpoch: state.midEpoch,
        finished: state.phases.map((p) => p.name), batches: trainLoader.length,
      });
      if (at) emit({ type: 'info', message: at });
    }
    // Written once the data and the model are ready: a run that failed before (bad data, a bad weights file)
    // leaves no config.json behind, so it can simply be started again.
    writeTextAtomic(paths.config, configToJSON(config));
    // Last, right before training: nothing after this may draw from libtorch's generator but training itself.
    loaded?.restoreRng();
    // A fresh run saves its starting point at once, so that RUN/last exists from the first moment on (a
    // Ctrl-C before the first epoch ends can be resumed too) and holds the base of phase 1.
    if (!loaded) await saveRunState(paths, model, null, state, lastWriter);

    const firstPhase = state.phaseIndex;
    for (let i = firstPhase; i < config.phases.length; i++) {
      const completed = await runPhase(ctx, i, i === firstPhase ? loaded : null);
      if (!completed) {
        await lastWriter.close();
        return interrupted(ctx);
      }
    }
    await lastWriter.close();
    // Resumed with every phase done: the run was killed after training (while evaluating).
    const onlyEvaluation = loaded !== null && firstPhase >= config.phases.length;
    if (onlyEvaluation) emit({ type: 'info', message: `${paths.root}: every phase had finished; finishing the interrupted evaluation` });
    const final = await writeFinalModel(ctx, onlyEvaluation);
    // The test split into RUN/eval/ and the report RUN/report.html (src/eval).
    let evaluation: EvaluationMetrics | null = null;
    let evaluated = false;
    if (!opts.skipEvaluation) {
      evaluation = await evaluateRun({
        runDir: paths.root, modelFile: final.file, dataset: data.dataset, config, audit: data.audit, history: state.history,
        summary: runSummary(config, final, data.dataset.positiveClass, state.posWeight, ctx.elapsed()), posWeight: state.posWeight,
        trainingMarks: {
          model: { phase: final.phase.name, epoch: final.epoch },
          restored: state.phases.filter((p) => p.bestEpoch !== null).map((p) => ({ phase: p.name, epoch: p.bestEpoch! })),
        },
        batchSize: config.batchSize, device: config.device, log: (line) => progress.message(line), imageCache,
      });
      evaluated = split.test.length > 0;
    }
    const seconds = ctx.elapsed();
    emit({
      type: 'done', run: paths.root, best_model: final.file, phase: final.phase.name, epoch: final.epoch,
      val_auc: final.metrics.val_auc ?? null, threshold: final.threshold, seconds, evaluated,
      monitor: final.monitor, monitor_value: final.monitorValue, pos_weight: state.posWeight, ...outputsOf(paths.root),
      test: evaluated && evaluation ? { n: evaluation.n, auc: evaluation.auc, accuracy: evaluation.accuracy } : null,
    });
    return {
      runDir: paths.root, config, history: state.history, phases: state.phases, bestModel: final.file,
      best: { phase: final.phase.name, epoch: final.epoch, metrics: final.metrics }, threshold: final.threshold,
      interrupted: false, ...(evaluation ? { evaluation } : {}), seconds,
    };
  } catch (e) {
    setupFailed = settingUp;
    throw settingUp ? asSetupError(e) : e;
  } finally {
    // After an error (a NaN loss, say) the state saved last still reaches the disk before train() ends.
    await lastWriter.close().catch(() => undefined);
    stop.close();
    task?.dispose();
    ctx?.carriedCache?.dispose();
    model?.dispose();
    fs.rmSync(paths.featureCache, { recursive: true, force: true });
    fs.rmSync(paths.imageCache, { recursive: true, force: true });
    if (setupFailed) removeCreated();
  }
}

/** The outermost folder of `dir` that does not exist yet (`dir` itself at most), or null when `dir` exists. */
function firstMissingAncestor(dir: string): string | null {
  if (fs.existsSync(dir)) return null;
  let top = path.resolve(dir);
  while (!fs.existsSync(path.dirname(top)) && path.dirname(top) !== top) top = path.dirname(top);
  return top;
}

/** Removes `dir` and its parents up to `top`, each only while it is empty. */
function removeEmptyUpTo(dir: string, top: string): void {
  for (let d = path.resolve(dir); ; d = path.dirname(d)) {
    try {
      if (fs.readdirSync(d).length > 0) return;
      fs.rmdirSync(d);
    } catch {
      return; // Gone already, or not ours to remove: leave it.
    }
    if (d === top || path.dirname(d) === d) return;
  }
}

function interrupted(ctx: RunContext): RunResult {
  return {
    runDir: ctx.paths.root, config: ctx.config, history: ctx.state.history, phases: ctx.state.phases, bestModel: null, best: null,
    threshold: null, interrupted: true, stoppedBy: ctx.stop.stoppedBy, seconds: ctx.elapsed(),
  };
}

