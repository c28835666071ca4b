// `tlearn train DATA --out RUN`: resolve and check the configuration, then hand it to the trainer.
import fs from 'node:fs';
import path from 'node:path';
import { isWeightsPath, resolveConfig, type ConfigOverrides, type RunConfig } from '../../train/config/index.js';
import { shorten } from '../../format/quote.js';
import { checkRunDir } from '../../train/run-dir.js';
import { notRegularReason } from '../../io/regular-file.js';
import { UsageError } from '../errors.js';
import type { CliIO } from '../io.js';
import type { TrainEvent } from '../../train/types.js';
import { loadPart } from '../planned.js';
import { processOut } from '../io.js';
import { currentInvocation, shellWord } from '../invocation.js';
import { checkNproc, launchRanks, withoutNproc, worldFromEnv } from './train-launch.js';
import type { DistributedEnv } from '../../distributed/env.js';
import { watchLauncher } from '../../distributed/launch.js';

export interface TrainOptions {
  /** DATA; left out, the config file's data.path / data.csv (or, with --resume, RUN/config.json's). */
  data?: string;
  out: string;
  configFile?: string;
  overrides: ConfigOverrides;
  resume: boolean;
  json: boolean;
  /** --nproc: start this many local ranks (src/distributed/launch.ts); undefined = this process is the run (or one rank of it). */
  nproc?: number;
  /** The command line as given (after the program name): each rank of --nproc runs it without --nproc. */
  argv?: readonly string[];
}

/** What the trainer (src/train/index.ts `train`) receives besides the configuration: its own type. */
export type TrainRunOptions = import('../../train/index.js').TrainOptions;

/** src/train/index.ts: `train(config, opts)`, resolving to the run's result: its own type. */
export type TrainFn = typeof import('../../train/index.js').train;

/** Checks that what the configuration names exists, before any expensive work starts (paths shown shortened). */
export function checkInputs(config: RunConfig): void {
  if (config.data.csv !== null) {
    if (!fs.existsSync(config.data.csv)) throw new UsageError(`the data CSV ${shorten(config.data.csv)} does not exist`);
    const special = notRegularReason(fs.statSync(config.data.csv));
    if (special) throw new UsageError(`the data CSV ${shorten(config.data.csv)}: ${special}`);
  } else if (!fs.existsSync(config.data.path)) {
    throw new UsageError(`the data folder ${shorten(config.data.path)} does not exist`);
  } else if (!fs.statSync(config.data.path).isDirectory()) {
    throw new UsageError(`DATA must be a folder or a .csv file, ${shorten(config.data.path)} is neither`);
  }
  if (isWeightsPath(config.model.weights) && !fs.existsSync(config.model.weights)) {
    throw new UsageError(`the weights file ${shorten(config.model.weights)} does not exist`);
  }
}

/**
 * The resolved configuration and run directory for `train` (also used by `demo`). With --resume the base
 * configuration is RUN/config.json (flags still apply on top, e.g. more epochs).
 */
export function prepareTrain(opts: TrainOptions, cwd: string, check: { runDir?: boolean } = {}): { config: RunConfig; out: string } {
  const out = path.resolve(cwd, opts.out);
  const saved = path.join(out, 'config.json');
  let config: RunConfig;
  if (opts.resume && opts.configFile !== undefined) throw new UsageError(`--resume continues with ${saved}; it cannot be combined with --config`);
  // The trainer's own rules (RunDirError, exit 2), checked here before the configuration and weights are loaded.
  // Ranks other than 0 leave the run folder to rank 0, which may have started writing into it already.
  if (check.runDir ?? true) checkRunDir(out, { resume: opts.resume });
  if (opts.resume) {
    config = resolveConfig({ file: saved, overrides: { ...opts.overrides, data: opts.data }, cwd });
  } else {
    const file = opts.configFile === undefined ? undefined : path.resolve(cwd, opts.configFile);
    // Without DATA, the file's data.path / data.csv (the validator names both ways when neither is given).
    config = resolveConfig({ file, overrides: { ...opts.overrides, data: opts.data }, cwd });
  }
  checkInputs(config);
  return { config, out };
}

/** Exit code of a run stopped by Ctrl-C after saving its state (128 + SIGINT, as shells report it). */
export const EXIT_INTERRUPTED = 130;
/** Exit code of a run stopped by SIGTERM (a scheduler, docker stop, systemd) after saving its state: 128 + 15. */
export const EXIT_TERMINATED = 143;

/**
 * Runs the trainer with progress on the CLI's streams: a progress bar on a terminal, plain lines otherwise,
 * JSON lines (the trainer's events: start, epoch, checkpoint, phase, done) on stdout with --json.
 */
export async function startTraining(config: RunConfig, out: string, resume: boolean, json: boolean, io: CliIO, world?: DistributedEnv): Promise<number> {
  const { train } = await loadPart(() => import('../../train/index.js'), 'training');
  const log = (line: string) => (json ? io.err : io.out)(`${line}\n`);
  const onEvent = json ? (event: TrainEvent) => io.out(`${JSON.stringify(event)}\n`) : undefined;
  const tty = !json && process.stdout.isTTY && io.out === processOut;
  const result = await train(config, { out, resume, onEvent, ...(tty ? { output: process.stdout } : { log }), ...(world ? { world } : {}) });
  // The other ranks of a data-parallel run have written their log (RUN/logs/rank-N.log); rank 0 says the rest.
  if (world && world.rank > 0) return result.interrupted ? (result.stoppedBy === 'SIGTERM' ? EXIT_TERMINATED : EXIT_INTERRUPTED) : 0;
  if (result.interrupted) {
    // The trainer's line has said where it stopped and that the state is saved; this is the command that goes on
    // (DATA left out: --resume takes the run's own from config.json).
    io.err(`continue with: ${resumeCommand(out)}\n`);
    return result.stoppedBy === 'SIGTERM' ? EXIT_TERMINATED : EXIT_INTERRUPTED;
  }
  // A --resume of a finished run wrote nothing: the trainer's line saying so is the whole answer.
  if (result.alreadyFinished) return 0;
  if (!json) io.out(`run written to ${out} (report: ${path.join(out, 'report.html')})\n`);
  return 0;
}

/** The command that resumes the run in `out`, as the user can type it (see invocation.ts). */
export function resumeCommand(out: string, prefix = currentInvocation()): string {
  return `${prefix} train --out ${shellWord(out)} --resume`;
}

export async function runTrain(opts: TrainOptions, io: CliIO): Promise<number> {
  const world = worldFromEnv();
  if (opts.nproc !== undefined) checkNproc(opts.nproc, world);
  const { config, out } = prepareTrain(opts, io.cwd, { runDir: world.rank === 0 });
  if (opts.nproc !== undefined && opts.nproc > 1) return launchRanks(opts.nproc, withoutNproc(opts.argv ?? []), out, io, config.device);
  if (world.worldSize === 1) return startTraining(config, out, opts.resume, opts.json, io);
  // A rank that --nproc started goes when its launcher goes (a launcher killed with SIGKILL leaves no rank behind).
  const stopWatching = watchLauncher();
  try {
    return await startTraining(config, out, opts.resume, opts.json, io, world);
  } finally {
    stopWatching();
  }
}
