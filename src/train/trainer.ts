// train(config, options): the whole run, in three parts: setting up (setup.ts: the run folder's data files, the
// resume point, the task, the model, the loaders), the configured phases (phase.ts: the seed protocol by default,
// with resume state after every epoch), and finishing (finish.ts: best_model_final with its validation
// threshold, the test evaluation and the report). Progress goes to a terminal, plain lines, or JSON lines.
import fs from 'node:fs';
import path from 'node:path';
import { availableParallelism } from 'node:os';
import { cuda, setNumThreads } from '../torch/index.js';
import { ImageCache } from '../data/index.js';
import { ConfigError, resolveConfig, type RunConfig } from './config/index.js';
import type { RunConfigInput } from './config/input.js';
import { isRunFailure } from './failures.js';
import { runPhase, type RunContext } from './phase.js';
import { Progress } from './progress.js';
import { prepareRunDir, RunDirError, runPaths } from './run-dir.js';
import { StopController } from './signals.js';
import { checkResumeConfig } from './resume/config.js';
import { configWarnings } from './config/warnings.js';
import { LastWriter } from './resume/last-writer.js';
import { setUpRun, startTraining, TrainSetupError, type HeldResources } from './setup.js';
import { finishRun } from './finish.js';
import { releaseCache } from './cache/phase-caches.js';
import type { RunResult, TrainEvent, TrainOptions } from './types.js';
import { cudaDeviceFor, threadsFor, type DistributedEnv } from '../distributed/env.js';
import { RankLog } from './rank-log.js';
import { TrainWorld } from './world.js';

export { TrainSetupError } from './setup.js';

/** An error found while setting the run up, as a TrainSetupError (bad input), unless it is a failure of the run. */
function asSetupError(e: unknown): unknown {
  if (!(e instanceof Error) || e instanceof TrainSetupError || e instanceof ConfigError || e instanceof RunDirError || isRunFailure(e)) return e;
  const wrapped = new TrainSetupError(e.message);
  wrapped.cause = e;
  return wrapped;
}

function setupRuntime(config: RunConfig, env: DistributedEnv | null): void {
  // 0 = all cores (shared by the ranks on this machine): src/torch already starts with every core unless
  // OMP_NUM_THREADS / TLEARN_THREADS say otherwise.
  const threads = threadsFor(config.threads, process.env, availableParallelism(), env);
  if (threads !== null) setNumThreads(threads);
  if (config.device === 'cuda' && !cuda.isAvailable()) {
    throw new TrainSetupError(
      "device 'cuda' was requested, but this libtorch has no CUDA support or sees no GPU; use --device cpu, " +
      'or build the addon against a CUDA libtorch (LIBTORCH=/path/to/libtorch-cuda npm run build:native)',
    );
  }
}

/** Each rank on its machine's LOCAL_RANK-th GPU (torch.cuda.set_device), before the group (NCCL) and the model exist. */
function selectRankGpu(config: RunConfig, env: DistributedEnv | null): void {
  if (config.device !== 'cuda' || !env || !cuda.isAvailable()) return;
  let index: number | null;
  try {
    index = cudaDeviceFor(env, cuda.deviceCount());
  } catch (e) {
    throw new TrainSetupError((e as Error).message);
  }
  if (index !== null) cuda.setDevice(index);
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
  // Data-parallel: rank 0 writes the run folder and speaks; the others log to RUN/logs/rank-N.log and keep
  // their caches apart (rankPaths).
  const env = opts.world && opts.world.worldSize > 1 ? opts.world : null;
  const isMain = env === null || env.rank === 0;
  const paths = isMain ? runPaths(opts.out) : rankPaths(runPaths(opts.out), env!.rank);
  const rankLog = isMain ? null : new RankLog();
  const resume = opts.resume ?? false;
  const progress = new Progress(rankLog ? rankLog.line : opts.log ?? opts.output ?? process.stdout, { json: isMain && opts.json, quiet: opts.quiet });
  const emit = (e: TrainEvent): void => {
    progress.handle(e);
    if (isMain && ((e.type !== 'batch' && e.type !== 'check') || opts.batchEvents)) opts.onEvent?.(e);
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
  const createdTop = isMain ? firstMissingAncestor(paths.root) : null;
  const removeCreated = () => { if (createdTop) removeEmptyUpTo(paths.root, createdTop); };
  let setupFailed = false;
  // The ranks meet first (rank 0 serves the rendezvous); then rank 0 prepares the run folder while the others wait.
  selectRankGpu(config, env);
  const world = env ? await TrainWorld.join(env, { timeoutMs: config.collectiveTimeoutSeconds * 1000, peerTimeoutMs: config.peerTimeoutSeconds * 1000, device: config.device }) : null;
  let saved: RunConfig | null;
  try {
    if (isMain) prepareRunDir(paths, { resume, overwrite: opts.overwrite ?? false });
    await world?.barrier();
    rankLog?.open(path.join(paths.root, 'logs', `rank-${env!.rank}.log`));
    saved = resume ? checkResumeConfig(paths, config) : null;
    setupRuntime(config, env);
  } catch (e) {
    removeCreated();
    world?.close();
    rankLog?.close();
    throw e;
  }
  const stop = new StopController({ signal: opts.signal, handleSigint: opts.handleSigint, onFirst: (m) => progress.message(m) });
  const held: HeldResources = {};
  const lastWriter = new LastWriter();
  // Until training starts, an error is about the inputs (data, weights file, saved state): bad input.
  let settingUp = true;
  try {
    const imageCache = opts.sharedImages?.cache ?? new ImageCache({
      memoryBytes: config.imageCache.memoryMB === null ? undefined : config.imageCache.memoryMB * 2 ** 20, dir: paths.imageCache,
      onDiskError: (why) => warn(`image cache: ${why}; the images that do not fit in memory (imageCache.memoryMB) are decoded again when needed`),
    });
    const run = await setUpRun({
      config, saved, paths, resume, world, skipEvaluation: opts.skipEvaluation ?? false, imageCache, probeMemo: opts.sharedImages?.probes ?? null, stop, lastWriter, emit, warn,
      sessionSeconds: () => (performance.now() - t0) / 1000, sharedCaches: opts.featureCaches ?? null, onFinalValidation: opts.onFinalValidation,
    }, held);
    if ('finished' in run) return run.finished;
    settingUp = false;
    await startTraining(run);
    const { ctx } = run;
    const firstPhase = ctx.state.phaseIndex;
    for (let i = firstPhase; i < config.phases.length; i++) {
      if (!(await runPhase(ctx, i, i === firstPhase ? run.loaded : null))) {
        await lastWriter.close();
        return interrupted(ctx);
      }
    }
    await lastWriter.close();
    // Data-parallel: every rank stays for the end of the run, validating its shard of the validation split for
    // best_model_final and predicting its shard of the test split; rank 0 gathers them and writes it all.
    return await finishRun(ctx, {
      data: run.data, testImages: run.split.test.length, onlyEvaluation: run.loaded !== null && firstPhase >= config.phases.length,
      skipEvaluation: opts.skipEvaluation ?? false, imageCache, log: (line) => progress.message(line),
    });
  } catch (e) {
    setupFailed = settingUp;
    throw settingUp ? asSetupError(e) : e;
  } finally {
    // After an error (a NaN loss, say) the state saved last still reaches the disk before train() ends.
    await lastWriter.close().catch(() => undefined);
    stop.close();
    held.task?.dispose();
    releaseCache(held.ctx?.carriedCache, opts.featureCaches);
    held.model?.dispose();
    world?.close();
    rankLog?.close();
    fs.rmSync(paths.featureCache, { recursive: true, force: true });
    fs.rmSync(paths.imageCache, { recursive: true, force: true });
    if (setupFailed) removeCreated();
  }
}

/** A rank's own cache folders beside rank 0's (the ranks of one machine share the run folder). */
function rankPaths(p: ReturnType<typeof runPaths>, rank: number): ReturnType<typeof runPaths> {
  return { ...p, featureCache: `${p.featureCache}-rank-${rank}`, imageCache: `${p.imageCache}-rank-${rank}` };
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

