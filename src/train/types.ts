// Types shared by the trainer's files: one epoch's record (a history row), the progress events and the
// options and result of train().
import type { TaskKind } from '../models/index.js';
import type { PhaseSchedule, RunConfig } from './config/index.js';
import type { AnyEvaluationMetrics } from '../eval/index.js';
import type { SharedFeatureCaches } from './cache/shared.js';
import type { ImageCache, ProbeMemo } from '../data/index.js';

/**
 * One history row. Names are fixed: they never change between phases or runs (no `val_auc_1`). A type, not an
 * interface, so that it is a report's HistoryRow (which admits extra columns) as it is, for src/eval's evaluateRun.
 */
export type EpochRecord = {
  /** The phase's name (config.phases[i].name). */
  phase: string;
  /** 1-based epoch within the phase. */
  epoch: number;
  /** The learning rate used during the epoch (of the first parameter group). */
  lr: number;
  train_loss: number;
  train_accuracy: number;
  val_loss: number;
  val_accuracy: number;
  /** Exact ROC AUC (scikit-learn's roc_auc_score) of the validation probabilities. */
  val_auc: number;
  /** Wall time of the epoch (training and validation). */
  seconds: number;
  /** Training images per second (training pass only). */
  images_per_second: number;
};

export const HISTORY_COLUMNS = [
  'phase', 'epoch', 'lr', 'train_loss', 'train_accuracy', 'val_loss', 'val_accuracy', 'val_auc', 'seconds', 'images_per_second',
] as const satisfies readonly (keyof EpochRecord)[];

/** Progress events: printed as JSON lines with `json: true` and passed to `onEvent`. */
export type TrainEvent =
  | {
    type: 'start'; run: string; resumed: boolean; arch: string; device: string; threads: number; precision: string; channels_last: boolean;
    images: { train: number; val: number; test: number };
    /** binary, multiclass or multilabel. */
    task?: TaskKind; classes: string[]; positive_class: string | null;
    /**
     * `schedule`: how the rate moves ('plateau', 'one-cycle', 'cosine'; 'constant' when nothing moves it).
     * `layer_lr_decay`: present when the phase's earlier modules train at lower rates (config layerLrDecay).
     */
    phases: { name: string; trainable: string[]; epochs: number; lr: number; schedule: PhaseSchedule; layer_lr_decay?: number }[];
    /** Batches summed into each optimizer step (config accumulateGradBatches), present only when more than 1. */
    accumulate_grad_batches?: number;
    /** The decay of the weight average that validation and the checkpoints use (config ema), present only with one. */
    ema_decay?: number;
    /** Data-parallel runs only: the ranks, each one's batch (--batch-size) and the images of one optimizer step of all. */
    world?: { size: number; rank: number; batch_per_rank: number; global_batch: number; sync_batchnorm: boolean };
  }
  | { type: 'phase'; event: 'start'; phase: string; index: number; trainable: string[]; trainable_parameters: number; cache: string | null; cache_entries: number }
  | { type: 'phase'; event: 'end'; phase: string; index: number; epochs: number; stopped_early: boolean; best_epoch: number | null; best: number | null; monitor: string }
  | ({ type: 'epoch' } & EpochRecord)
  /** `lr`: the learning rate of that batch's step (the head's group; it changes per batch under oneCycle). */
  | { type: 'batch'; phase: string; epoch: number; batch: number; batches: number; loss: number; images: number; seconds: number; lr: number }
  /** The data check before training: `done` of `total` files read, hashed and decoded, `seconds` since it began. */
  | { type: 'check'; done: number; total: number; seconds: number }
  /** For the final model `phase` is 'final' and `source_phase` names the phase whose `epoch` it is. */
  | { type: 'checkpoint'; phase: string; epoch: number; file: string; monitor: string; value: number; source_phase?: string }
  | { type: 'lr'; phase: string; epoch: number; lr: number }
  | { type: 'warning'; message: string }
  | { type: 'info'; message: string }
  /** `epoch`: the 1-based epoch that was in progress (or next); `batch` of `batches` of it were done. */
  | { type: 'interrupted'; phase: string; epoch: number; batch: number; batches: number; state: string }
  | {
    type: 'done'; run: string; best_model: string; phase: string | null; epoch: number | null; val_auc: number | null;
    threshold: number; seconds: number; evaluated: boolean;
    /** The metric that chose the final model among the phases' best (the last phase's checkpoint monitor), and its value. */
    monitor: string; monitor_value: number | null;
    /** The positive-class weight of the loss as used (posWeight 'auto' resolved), or null when none. */
    pos_weight: number | null;
    /** RUN/report.html and RUN/eval/metrics.json when they exist (null otherwise). */
    report: string | null; metrics: string | null;
    /** The test split's headline numbers when this session evaluated it (all in RUN/eval/metrics.json). */
    test: { n: number; auc: number | null; accuracy: number } | null;
  };

export interface TrainOptions {
  /** The run directory (created if missing). */
  out: string;
  /** Continue from RUN/last (the config must equal RUN/config.json except runtime keys such as threads). */
  resume?: boolean;
  /** Start a new run in a directory that already holds one (its files are replaced). Default false. */
  overwrite?: boolean;
  /** Print JSON lines (events) to the output stream instead of human-readable progress. */
  json?: boolean;
  onEvent?: (e: TrainEvent) => void;
  /** Aborting finishes the current batch, saves RUN/last and returns with `interrupted: true` (as a first Ctrl-C). */
  signal?: AbortSignal;
  /** Install SIGINT and SIGTERM handlers for the run (default true): the first signal stops it gracefully. */
  handleSigint?: boolean;
  /** Where progress goes (default process.stdout; a terminal gets a progress bar). */
  output?: NodeJS.WritableStream;
  /** Instead of `output`: a function receiving each human-readable progress line (no bar). */
  log?: (line: string) => void;
  /** Also pass the per-batch and per-file (data check) events to onEvent (default false: they are many). */
  batchEvents?: boolean;
  /** Print nothing (events still reach onEvent). */
  quiet?: boolean;
  /** Skip the end of the run: src/eval's test-split evaluation (RUN/eval/) and report (RUN/report.html). */
  skipEvaluation?: boolean;
  /**
   * Data-parallel training: this process's rank in a world of several (src/distributed/env.ts reads it from
   * torchrun's or SLURM's variables). Only rank 0 writes the run folder and speaks through output/log/onEvent;
   * the others write RUN/logs/rank-N.log. Absent or a world of one: a single-process run.
   */
  world?: import('../distributed/env.js').DistributedEnv;
  /**
   * Frozen-prefix caches shared with other runs on the same images from the same starting weights (k-fold
   * cross-validation): owned by the caller, who disposes them; entries are keyed by image path. Default: the
   * run's own caches.
   */
  featureCaches?: SharedFeatureCaches;
  /**
   * Decoded images and data-check findings shared with other runs on the same files (k-fold cross-validation):
   * the caller's image cache (it removes its folder) instead of the run's own RUN/.image-cache, and the probes of
   * its check of the files (src/data/probe-memo.ts), so that no image is read and decoded again for this run's
   * check. What the run writes (manifest.csv, audit.json) is the same. Default: the run's own.
   */
  sharedImages?: { cache: ImageCache; probes: ProbeMemo };
  /**
   * Called once with the final model's validation probabilities (n x the head's outputs; binary: of the
   * positive class) and the paths of the images, in the same order; cross-validation's out-of-fold predictions.
   */
  onFinalValidation?: (v: { paths: string[]; probs: Float32Array; labels: Float32Array }) => void;
}

export interface PhaseSummary {
  name: string;
  epochs: number;
  stoppedEarly: boolean;
  bestEpoch: number | null;
  best: number | null;
  monitor: string;
  checkpoint: string | null;
}

export interface RunResult {
  runDir: string;
  config: RunConfig;
  history: EpochRecord[];
  phases: PhaseSummary[];
  /** best_model_final.* (null when interrupted before any phase finished). */
  bestModel: string | null;
  /** The phase and epoch the final model comes from. */
  best: { phase: string; epoch: number; metrics: Record<string, number> } | null;
  /** The decision threshold stored in the final checkpoint. */
  threshold: number | null;
  /** True when stopped by Ctrl-C, SIGTERM or the abort signal; RUN/last holds the state to resume from. */
  interrupted: boolean;
  /** When interrupted: what stopped the run ('SIGINT', 'SIGTERM', 'abort'). */
  stoppedBy?: 'SIGINT' | 'SIGTERM' | 'abort' | null;
  /** True for a --resume of a run that had already finished every phase: nothing was trained or written. */
  alreadyFinished?: boolean;
  /** The test split's metrics (RUN/eval/metrics.json's content), when the data has a test split and evaluation was not skipped. */
  evaluation?: AnyEvaluationMetrics;
  seconds: number;
}
