// The start of a run, before its first epoch: the data (manifest.csv, audit.json), the resume point, the task
// and its loss weights, the model on its pretrained backbone (or resumed weights), the loaders, and the context
// the phases share. What it creates is registered in `held`, so that train() frees it whatever happens.
import { getNumThreads, manualSeed } from '../torch/index.js';
import {
  auditWarnings, DataLoader, isViewDeterministic, type ImageCache, prepareData, type ProbeMemo, type DataItem, type PreparedData, type SkippedItem,
} from '../data/index.js';
import { createClassifier, type ImageClassifier, type TaskKind } from '../models/index.js';
import { createTask, LOSS_POLICIES, type Task } from '../tasks/index.js';
import { ConfigError, configToJSON, phaseSchedule, usesChannelsLast, type RunConfig } from './config/index.js';
import { toChannelsLast, type Engine } from './engine.js';
import { writeHistory } from './history.js';
import type { RunContext } from './phase.js';
import { resumeLine } from './progress.js';
import { writeTextAtomic, type RunPaths } from './run-dir.js';
import type { StopController } from './signals.js';
import { checkStateConfig, stateConfig } from './resume/config.js';
import { planResume, ResumePlanError } from './resume/plan.js';
import type { LastWriter } from './resume/last-writer.js';
import { removeStaleSpillDirs } from './cache/phase-caches.js';
import { dataDigest, loadRunState, saveRunState, STATE_VERSION, type LoadedRunState, type RunState } from './resume/state.js';
import { finishedRun } from './finish.js';
import type { RunResult, TrainEvent } from './types.js';
import type { TrainWorld } from './world.js';

/** Thrown for a run that cannot start as configured (device, data): bad input, the CLI exits with 2. */
export class TrainSetupError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TrainSetupError';
  }
}

/** The items by split (prepareData has made sure that train and val have both classes). */
export function splitItems(data: PreparedData): Record<'train' | 'val' | 'test', DataItem[]> {
  const out = { train: [] as DataItem[], val: [] as DataItem[], test: [] as DataItem[] };
  for (const it of data.dataset.items) out[it.split].push(it);
  return out;
}

function freshState(digest: string, posWeight: number | null, config: RunConfig, worldSize: number): RunState {
  return {
    version: STATE_VERSION, dataDigest: digest, phaseIndex: 0, globalEpoch: 0, phase: null, midEpoch: null,
    phases: [], history: [], posWeight, elapsedSeconds: 0, savedAt: '', baseTag: null, config: stateConfig(config),
    // Recorded only for data-parallel runs, so that a single process's RUN/last stays as it was.
    ...(worldSize > 1 ? { worldSize } : {}),
  };
}

/** What a run holds that train() must free at its end: filled in as setUpRun creates it. */
export interface HeldResources {
  model?: ImageClassifier;
  task?: Task;
  ctx?: RunContext;
}

export interface SetupInput {
  config: RunConfig;
  /** The configuration the run was started with (--resume), or null for a fresh run. */
  saved: RunConfig | null;
  paths: RunPaths;
  resume: boolean;
  /** The ranks of a data-parallel run; null: a single process. */
  world: TrainWorld | null;
  skipEvaluation: boolean;
  imageCache: ImageCache;
  /** Earlier checks of the same files to reuse (TrainOptions.sharedImages), or null. */
  probeMemo: ProbeMemo | null;
  stop: StopController;
  lastWriter: LastWriter;
  emit: (e: TrainEvent) => void;
  warn: (message: string) => void;
  /** Seconds of this session so far. */
  sessionSeconds: () => number;
  sharedCaches: RunContext['sharedCaches'];
  onFinalValidation: RunContext['onFinalValidation'];
}

/** A run ready for its phases: the shared context, its data, and the state it resumes from (null when fresh). */
export interface ReadyRun {
  ctx: RunContext;
  data: PreparedData;
  split: Record<'train' | 'val' | 'test', DataItem[]>;
  loaded: LoadedRunState | null;
}

/** The data checked and prepared (manifest.csv, audit.json), decoding into the loaders' cache as it goes. */
async function prepareRunData(s: SetupInput): Promise<PreparedData> {
  const { config } = s;
  // Checking the data decodes every file; it decodes to the eval transform into the loaders' cache (memory,
  // then RUN/.image-cache), so the first epoch and the test evaluation do not decode again. Random-resized
  // crops start from the original file every time, so their training images are only checked.
  const checkStart = performance.now();
  return prepareData(config.data.csv ?? config.data.path, {
    positive: config.data.positive ?? undefined, seed: config.seed, valFraction: config.data.valFraction,
    testFraction: config.data.testFraction, imageSize: config.input.imageSize, resize: config.input.resize, dicomWindows: config.input.dicomWindows,
    // manifest.csv and audit.json are rank 0's to write; the others only leave the run folder out of the data.
    ...(s.world && !s.world.isMain ? { exclude: [s.paths.root] } : { outDir: s.paths.root }),
    cache: s.imageCache, ...(s.probeMemo ? { memo: s.probeMemo } : {}), cacheSplits: isViewDeterministic(config.augment) ? ['train', 'val', 'test'] : ['val', 'test'], task: config.task,
    onProgress: (done, total) => s.emit({ type: 'check', done, total, seconds: (performance.now() - checkStart) / 1000 }),
  });
}

/** The saved state of a --resume, checked against the data and the configuration, with the resume plan applied. */
function resumePoint(s: SetupInput, digest: string): { loaded: LoadedRunState; reopenMessage: string | null; finished: boolean } {
  const { config, paths, saved } = s;
  const loaded = loadRunState(paths, config.phases.length);
  if (loaded.state.dataDigest !== digest) {
    throw new TrainSetupError(`cannot resume ${paths.root}: the data differs from the run's (files, labels, splits or contents changed since manifest.csv was written)`);
  }
  checkStateConfig(paths, loaded.state.config, saved!);
  // The shards, the per-rank batches and a mid-epoch position depend on the number of ranks.
  const ranks = s.world?.size ?? 1;
  if ((loaded.state.worldSize ?? 1) !== ranks) {
    const was = loaded.state.worldSize ?? 1;
    throw new TrainSetupError(`cannot resume ${paths.root} with ${ranks} rank${ranks === 1 ? '' : 's'}: it was trained with ${was} (each rank's share of the data and of every batch depends on it); resume it with ${was === 1 ? 'a single process (no --nproc, no launcher)' : `${was} ranks (--nproc ${was}, or WORLD_SIZE=${was})`}`);
  }
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
  return { loaded, reopenMessage: plan.message, finished: plan.reopen === null };
}

/** The model on the device: seeded init of the head, pretrained backbone, then the saved weights when resuming. */
async function buildModel(config: RunConfig, task: Task, loaded: LoadedRunState | null, held: HeldResources, warn: (m: string) => void, world: TrainWorld | null): Promise<{ model: ImageClassifier; channelsLast: boolean }> {
  manualSeed(config.seed);
  const created = await createClassifier({
    arch: config.model.arch, dropout: config.model.dropout, weights: config.model.weights, outputs: task.outputs, activation: task.activation,
  });
  const model = (held.model = created.model);
  // A trained classifier (a tlearn checkpoint, the seed's .pth) as weights: its head is not carried over.
  if (!loaded && created.pretrained.droppedKeys.some((k) => k.startsWith('fc.1.'))) {
    warn(`${config.model.weights} is a trained binary classifier: only its backbone is used, and this run trains a new head ` +
      'from scratch (to use that model as it is, evaluate or predict with it; to continue its training, --resume its run)');
  }
  if (config.device !== 'cpu') model.to(config.device);
  const channelsLast = usesChannelsLast(config);
  if (channelsLast) toChannelsLast(model);
  loaded?.restoreModel(model);
  if (world) {
    // Every rank starts from rank 0's weights, as DDP's construction makes sure.
    world.broadcastModel(model);
    if (config.syncBatchNorm) world.syncBatchNorm(model);
  }
  return { model, channelsLast };
}

/** Class-balanced sampling needs one class per image: a multi-label run balances its labels with posWeight instead. */
export function checkSampler(config: RunConfig, kind: TaskKind): void {
  if (config.sampler !== 'balanced' || kind !== 'multilabel') return;
  throw new ConfigError([{
    path: 'config.sampler',
    message: 'balanced draws every class equally often, and a multilabel image has several labels: weigh each label\'s positives with posWeight (--pos-weight auto) instead',
  }]);
}

/** Conformal sets are of classes: a multi-label model's labels are decided one by one (its thresholds). */
export function checkConformal(config: RunConfig, kind: TaskKind): void {
  if (!config.conformal || kind !== 'multilabel') return;
  throw new ConfigError([{
    path: 'config.conformal',
    message: 'prediction sets are for binary and multi-class models (one class per image); a multilabel model decides each label by its own threshold (threshold.method)',
  }]);
}

/** The info line of class-balanced sampling: how often each class is drawn now, and will be. */
export function samplerLine(config: RunConfig, train: readonly Pick<DataItem, 'label'>[], classes: readonly string[]): string | null {
  if (config.sampler !== 'balanced') return null;
  const counts = classes.map((_, j) => train.filter((i) => i.label === j).length);
  const present = counts.filter((k) => k > 0).length;
  // Every class's count up to 6 classes; beyond, the rarest and the commonest (a line per run, not per class).
  const named = classes.map((c, j) => ({ c, n: counts[j]! }));
  const listed = named.length <= 6 ? named.map(({ c, n }) => `${c} ${n}`).join(', ') : (() => {
    const sorted = [...named].sort((a, b) => a.n - b.n);
    return `from ${sorted[0]!.c} ${sorted[0]!.n} to ${sorted.at(-1)!.c} ${sorted.at(-1)!.n}`;
  })();
  return `sampler balanced: each epoch draws ${train.length} training images with replacement, every class 1/${present} of them (${listed} images)`;
}

/**
 * What a loader does with a file that fails to decode during the run. It was readable when the data was checked,
 * so it changed since. A single process leaves it out from then on and says so once; a data-parallel rank stops
 * the run, as a DDP job fails on an unreadable sample: the ranks must take the same steps and gather their whole
 * validation shards, which a file missing on one rank would break (the launcher then stops the others).
 */
function onDecodeFailure(split: 'train' | 'val', warn: (m: string) => void, world: TrainWorld | null): (s: SkippedItem) => void {
  const what = split === 'train' ? 'training' : 'validation';
  return (s) => {
    const happened = `${what} image ${s.path} could not be decoded (${s.reason}); it was readable when the data was checked, so it changed during the run`;
    if (world) {
      throw new Error(`rank ${world.rank}: ${happened}. A data-parallel run stops here (every rank must train and validate on its ` +
        'whole share); the checkpoints saved so far are kept: restore the file and --resume (a run on changed data starts anew)');
    }
    warn(`${happened}: it is left out of ${what} from now on`);
  };
}

/**
 * The training and validation loaders, with the task's label width. A data-parallel rank's loaders see its
 * shard (src/distributed/sampler.ts): training padded as DistributedSampler, validation unpadded (gathered).
 */
function buildLoaders(config: RunConfig, split: ReadyRun['split'], task: Task, imageCache: ImageCache, channelsLast: boolean, world: TrainWorld | null,
  warn: (m: string) => void): { trainLoader: DataLoader; valLoader: DataLoader } {
  const labelled = {
    imageSize: config.input.imageSize, resize: config.input.resize, dicomWindows: config.input.dicomWindows, batchSize: config.batchSize, seed: config.seed,
    channelsLast, cache: imageCache, mean: config.input.mean, std: config.input.std, labelWidth: task.labelWidth,
  } as const;
  const toLoader = (items: DataItem[]) => items.map((i) => ({ path: i.path, label: i.label, ...(i.labels ? { labels: i.labels } : {}) }));
  const shard = (pad: boolean) => (world ? { shard: { rank: world.rank, worldSize: world.size, pad } } : {});
  const trainLoader = new DataLoader(toLoader(split.train), {
    ...labelled, train: true, augment: config.augment, erasing: config.randomErasing, randAugment: config.randAugment, sampler: config.sampler, augmentBaseSide: config.input.presize, ...shard(true),
    onSkip: onDecodeFailure('train', warn, world),
  });
  const valLoader = new DataLoader(toLoader(split.val), { ...labelled, train: false, ...shard(false), onSkip: onDecodeFailure('val', warn, world) });
  if (trainLoader.length === 0) {
    const per = world ? ` (${trainLoader.plan(0)[0]?.indices.length ?? 0} per rank of ${world.size})` : '';
    throw new TrainSetupError(`the training split has ${split.train.length} image(s)${per}: not enough for one batch`);
  }
  return { trainLoader, valLoader };
}

/**
 * Everything before the first epoch. Returns the run ready for its phases, or (a --resume of a run with nothing
 * left to do) the result of the finished run after emitting its done event; nothing is written then.
 */
export async function setUpRun(s: SetupInput, held: HeldResources): Promise<(ReadyRun & { reopenMessage?: string }) | { finished: RunResult }> {
  const { config, paths, emit, warn } = s;
  const data = await prepareRunData(s);
  const split = splitItems(data);
  const digest = dataDigest(data);
  const kind = data.dataset.task;
  const classes = data.dataset.classes;
  const lossPolicy = LOSS_POLICIES[kind];
  const misplaced = lossPolicy.misplaced(config, classes.length);
  if (misplaced.length > 0) throw new ConfigError(misplaced.map((message) => ({ path: 'config', message })));
  checkSampler(config, kind);
  checkConformal(config, kind);

  const point = s.resume ? resumePoint(s, digest) : null;
  const loaded = point?.loaded ?? null;
  // Nothing left to train: say so and leave every file as it was (no new evaluation or report either).
  const finished = point?.finished ? finishedRun(config, paths, point.loaded.state, !s.skipEvaluation) : null;
  if (finished) {
    const n = point!.loaded.state.history.length;
    emit({ type: 'info', message: `${paths.root} had already finished (${n} epoch${n === 1 ? '' : 's'}); nothing left to train` });
    emit(finished.done);
    return { finished: finished.result };
  }
  // Said once the run is known to train (a finished run resumed only says that it had finished).
  emit({ type: 'info', message: data.summary });
  for (const w of auditWarnings(data.audit, { posWeightSet: config.posWeight !== null || config.sampler === 'balanced' })) warn(w);
  if (config.input.dicomWindows && !data.probes.some((p) => p.format === 'dicom')) {
    warn(`input.dicomWindows has no effect here: none of the ${data.probes.length} images is a DICOM file (the model keeps the windows for the DICOM files it may predict on)`);
  }
  const loss = lossPolicy.resolve(config, split.train, classes, loaded?.state.posWeight);
  const state = loaded?.state ?? freshState(digest, loss.posWeight, config, s.world?.size ?? 1);
  for (const message of loss.lines) emit({ type: 'info', message });
  const sampling = samplerLine(config, split.train, classes);
  if (sampling) emit({ type: 'info', message: sampling });
  const task = (held.task = createTask(kind, classes, loss.settings, config.device));
  const { model, channelsLast } = await buildModel(config, task, loaded, held, warn, s.world);
  const engine: Engine = { model, task, device: config.device, precision: config.precision, channelsLast, bnPolicy: config.bnPolicy, world: s.world };

  // Spill folders of runs killed with kill -9 in a shared featureCache.dir (a resume never reuses them).
  if (config.featureCache.dir) {
    const stale = removeStaleSpillDirs(config.featureCache.dir);
    if (stale.length > 0) {
      emit({ type: 'info', message: `removed ${stale.length} feature-cache folder${stale.length === 1 ? '' : 's'} left by killed runs: ${stale.join(', ')}` });
    }
  }
  const { trainLoader, valLoader } = buildLoaders(config, split, task, s.imageCache, channelsLast, s.world, warn);
  const elapsedBase = state.elapsedSeconds;
  const ctx: RunContext = held.ctx = {
    config, paths, engine, identity: { config, task: kind, classes, posWeight: state.posWeight, lossRecord: task.lossRecord() }, trainLoader, valLoader,
    state, lastWriter: s.lastWriter, stop: s.stop, emit, warn, elapsed: () => elapsedBase + s.sessionSeconds(), carriedCache: null, weightsOf: null,
    sharedCaches: s.sharedCaches, ...(s.onFinalValidation ? { onFinalValidation: s.onFinalValidation } : {}),
  };
  if (!s.world || s.world.isMain) writeHistory(paths.root, state.history);
  emit({
    type: 'start', run: paths.root, resumed: s.resume, arch: config.model.arch, device: config.device, threads: getNumThreads(),
    precision: config.precision, channels_last: channelsLast, images: { train: split.train.length, val: split.val.length, test: split.test.length },
    task: kind, classes: [...classes], positive_class: data.dataset.positiveClass,
    phases: config.phases.map((p) => ({
      name: p.name, trainable: p.trainable, epochs: p.epochs, lr: p.lr,
      schedule: phaseSchedule(p), ...(p.layerLrDecay !== 1 ? { layer_lr_decay: p.layerLrDecay } : {}),
    })),
    ...(config.accumulateGradBatches > 1 ? { accumulate_grad_batches: config.accumulateGradBatches } : {}),
    ...(config.ema ? { ema_decay: config.ema.decay } : {}),
    ...(s.world ? {
      world: {
        size: s.world.size, rank: s.world.rank, batch_per_rank: config.batchSize,
        global_batch: config.batchSize * s.world.size * config.accumulateGradBatches, sync_batchnorm: config.syncBatchNorm,
      },
    } : {}),
  });
  return { ctx, data, split, loaded, ...(point?.reopenMessage ? { reopenMessage: point.reopenMessage } : {}) };
}

/**
 * The last steps before the first epoch, once the run is known to start: says where a resumed run continues,
 * writes config.json, restores the random generator and saves the starting point of a fresh run.
 */
export async function startTraining(run: ReadyRun & { reopenMessage?: string }): Promise<void> {
  const { ctx, loaded } = run;
  const { config, state, paths } = ctx;
  if (run.reopenMessage) ctx.emit({ type: 'info', message: run.reopenMessage });
  if (loaded) {
    const at = resumeLine({
      phases: config.phases, phaseIndex: state.phaseIndex, phase: state.phase, midEpoch: state.midEpoch,
      finished: state.phases.map((p) => p.name), batches: ctx.trainLoader.length,
    });
    if (at) ctx.emit({ type: 'info', message: at });
  }
  // Written once the data and the model are ready: a run that failed before (bad data, a bad weights file)
  // leaves no config.json behind, so it can simply be started again.
  const main = !ctx.engine.world || ctx.engine.world.isMain;
  if (main) writeTextAtomic(paths.config, configToJSON(config));
  // Last, right before training: nothing after this may draw from libtorch's generator but training itself.
  loaded?.restoreRng();
  // A fresh run saves its starting point at once, so that RUN/last exists from the first moment on (a
  // Ctrl-C before the first epoch ends can be resumed too) and holds the base of phase 1.
  if (!loaded && main) await saveRunState(paths, ctx.engine.model, null, state, ctx.lastWriter);
}
