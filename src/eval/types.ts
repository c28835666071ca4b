// What `evaluate` and `predict` take and return (the CLI's commands pass these after parsing and checks).
import type { TaskKind } from '../models/index.js';
import type { Prediction } from '../tasks/index.js';
import type { TtaMode } from './tta.js';

export interface EvaluateCommandOptions {
  /** A tlearn checkpoint or a plain PyTorch state_dict (absolute path). */
  model: string;
  /** A data folder or CSV (absolute path). */
  data: string;
  split: 'train' | 'val' | 'test' | 'all';
  /** The evaluation directory (absolute path). */
  out: string;
  threshold?: number;
  /**
   * The seeded split of data without split folders (or a CSV without a split column). Default: the values
   * the model was trained with (its metadata), so that 'test' is the run's test split.
   */
  seed?: number;
  valFraction?: number;
  testFraction?: number;
  /** For a file without tlearn metadata (a tlearn file's own values must not be contradicted). */
  imageSize?: number;
  /** Binary: [negative, positive]; otherwise one name per output. */
  classes?: string[];
  /** The task of a plain state_dict with several outputs (its keys cannot tell multiclass from multilabel). */
  task?: TaskKind;
  /** 'squash' (Resize((s, s)), the default) or 'crop' (shorter side, then centre crop). */
  resize?: 'squash' | 'crop';
  batchSize?: number;
  device?: 'cpu' | 'cuda';
  /** libtorch's intra-op thread count: process-wide, it stays set after the call and applies to every caller. */
  threads?: number;
  /** Progress lines for a person. */
  log: (line: string) => void;
  /** Test-time augmentation: the mean of the probabilities of each image's views (tta.ts: flip, dihedral). */
  tta?: TtaMode | null;
}

export interface PredictCommandOptions extends Omit<EvaluateCommandOptions, 'data' | 'split' | 'out' | 'log'> {
  /** Image files (folders already expanded; relative paths are resolved against process.cwd()). */
  files: string[];
  /** Unused by predict (it reports per file in its rows); accepted so that one options object serves both commands. */
  log?: (line: string) => void;
  /** Multiclass: also list the k most probable classes per image. */
  topK?: number;
}

/** One image's result (ARCHITECTURE.md "predict output"): the task's prediction, or why the file had none. */
export type PredictRow = ({ path: string } & Prediction) | { path: string; error: string };
