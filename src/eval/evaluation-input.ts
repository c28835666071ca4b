// What writeEvaluation takes: the items and the model's probabilities, and what the report shows beside them.
// Its own file, so that the binary (evaluate.ts) and the multi-class/-label writer (evaluate-multi.ts) share it
// without importing each other.
import type { DataItem, SkippedItem } from '../data/index.js';
import type { ModelMetadata } from '../models/index.js';
import type { HistoryRow, ReportData, TrainingMarks } from '../report/index.js';
import type { Explainer } from './gallery-cam.js';
import type { TtaMode } from './tta.js';

/** What the HTML report shows beside the test results (a training run passes its own). */
export interface ReportContext {
  title?: string;
  summary?: Record<string, unknown>;
  config?: unknown;
  audit?: ReportData['audit'];
  history?: HistoryRow[] | null;
  /** Where the training curves mark the final model's epoch and each phase's restored epoch. */
  trainingMarks?: TrainingMarks | null;
  /** Also copy report.html there (a run's RUN/report.html). */
  reportFile?: string;
  /** The pos_weight the run trained with (the audit then states it rather than advising one). */
  posWeight?: number | null;
}

export interface EvaluationInput {
  out: string;
  /** Labelled items, with paths relative to `root` for the written files. */
  items: readonly Pick<DataItem, 'path' | 'relPath' | 'label' | 'labels'>[];
  root: string;
  probabilities: Float64Array;
  skipped: readonly SkippedItem[];
  metadata: ModelMetadata;
  threshold: number;
  /** The split the items are (default 'test'): the report's headings and counts name it. */
  split?: 'train' | 'val' | 'test' | 'all';
  context?: ReportContext;
  /** Progress and warning lines for a person. */
  log?: (line: string) => void;
  /** With test-time augmentation (`tta`): the probabilities without it, reported beside the main ones. */
  plain?: Float64Array;
  tta?: TtaMode | null;
  /** For a model with a calibration temperature: the probabilities at T = 1, reported beside the main ones. */
  uncalibrated?: Float64Array;
  /** A libtorch model's Grad-CAM overlays for the report's galleries (every task; gallery-cam.ts). */
  explainer?: Explainer;
}

