// Plain-data inputs of the report layer. Deliberately independent of src/metrics: any producer of
// these arrays (our metrics, scikit-learn output read from JSON, a user script) can feed the charts.

/** ROC curve points in sklearn's `roc_curve` order (fpr non-decreasing). */
export interface RocData {
  fpr: number[];
  tpr: number[];
  /** Optional decision thresholds per point; `null` stands for +infinity (the metrics.json convention). */
  thresholds?: (number | null)[];
  /** Area under the curve, shown in the title. */
  auc?: number | null;
  /** 95% confidence interval of the AUC, shown in the title when given. */
  aucCi95?: [number, number] | null;
  /** The classifier's operating point (its threshold), marked on the curve. */
  operatingPoint?: { fpr: number; tpr: number; threshold?: number | null } | null;
}

/** Precision-recall curve points in sklearn's `precision_recall_curve` order (recall non-increasing). */
export interface PrData {
  precision: number[];
  recall: number[];
  /** Average precision, shown in the title. */
  averagePrecision?: number | null;
  /** Fraction of positives: the precision of a chance classifier, drawn as a horizontal line. */
  prevalence?: number | null;
  operatingPoint?: { precision: number; recall: number; threshold?: number | null } | null;
}

/** Confusion matrix: rows are the true classes, columns the predictions (sklearn's layout). */
export interface ConfusionData {
  classes: string[];
  matrix: number[][];
  threshold?: number | null;
}

/** One row of RUN/history.csv; metrics that were not computed may be null or NaN. */
export interface HistoryRow {
  phase: number | string;
  epoch: number;
  lr?: number | null;
  train_loss?: number | null;
  train_accuracy?: number | null;
  val_loss?: number | null;
  val_accuracy?: number | null;
  val_auc?: number | null;
  [extra: string]: unknown;
}

/** Predicted probabilities of the positive class with the true labels (0 = classes[0], 1 = classes[1]). */
export interface ProbabilityData {
  probabilities: number[];
  labels: number[];
  classes: [string, string];
  threshold?: number | null;
  /** Histogram bin width on [0, 1]; default 0.05. */
  binStep?: number;
}

/** Reliability (calibration) curve as sklearn's `calibration_curve` returns it, plus optional bin counts. */
export interface CalibrationData {
  /** Mean predicted probability per non-empty bin (sklearn's prob_pred). */
  probPred: number[];
  /** Fraction of positives per non-empty bin (sklearn's prob_true). */
  probTrue: number[];
  /** Number of samples per non-empty bin, same length as probPred. */
  counts?: number[];
  /** Number of uniform bins on [0, 1] the curve was computed with; places the count bars on their bins. */
  nBins?: number;
  ece?: number | null;
  brier?: number | null;
}

/** An epoch named as history rows name it: the phase and the epoch counted within that phase. */
export interface PhaseEpoch {
  phase: string | number;
  epoch: number;
}

/**
 * Which epochs the training-curve chart marks. Filled from what the run recorded (the run summary's phase/epoch of
 * the final model, the phases' best_epoch in their checkpoint metadata); an epoch absent from the history is skipped.
 */
export interface TrainingMarks {
  /** The epoch whose weights became the final model (best_model_final). */
  model?: PhaseEpoch | null;
  /** Per phase, the epoch whose weights were restored at the phase's end (its best checkpoint). */
  restored?: PhaseEpoch[] | null;
}

/** Everything `writeCharts` can draw; absent members are skipped. */
export interface ChartData {
  roc?: RocData | null;
  pr?: PrData | null;
  confusion?: ConfusionData | null;
  history?: HistoryRow[] | null;
  /** Epochs to mark on the training curves (drawn only with `history`). */
  trainingMarks?: TrainingMarks | null;
  probabilities?: ProbabilityData | null;
  calibration?: CalibrationData | null;
}

/** One prediction, as in predictions.csv. `label`/`predicted` are class names or indices (0/1). */
export interface PredictionRow {
  path: string;
  label: string | number;
  probability: number;
  predicted?: string | number | null;
}

/** One problem found in the data, with the files concerned (shown as a nested list). */
export interface AuditFinding {
  text: string;
  items?: string[];
}

/**
 * Class counts per split (split -> class -> count) with warnings: the data-audit section. The report also
 * takes audit.json's own structure (AuditJsonLike) and derives this from it.
 */
export interface AuditData {
  counts?: Record<string, Record<string, number>>;
  /** Problems; "No data warnings." is shown only when there is none. */
  warnings?: (string | AuditFinding)[];
  /** Facts worth knowing that are not problems (how the split was made, the class balance). */
  notes?: string[];
  /** Anything else from audit.json; shown as collapsible JSON. */
  details?: unknown;
}

export interface ReportData {
  title?: string;
  /** Run summary as ordered key/value pairs (model, data, timings, device, ...). */
  summary?: Record<string, unknown>;
  /** The resolved configuration, shown as a collapsible JSON block. */
  config?: unknown;
  /** The data-audit section: AuditData, or audit.json's object as src/data writes it. */
  audit?: AuditData | AuditJsonLike | null;
  /** metrics.json (or any flat record of metrics); scalars are tabulated. */
  metrics?: Record<string, unknown> | null;
  /** sklearn classification_report text, shown preformatted. */
  classificationReport?: string | null;
  charts?: ChartData | null;
  /** Test predictions; the most confidently wrong ones are shown as a thumbnail gallery. */
  predictions?: PredictionRow[] | null;
  /** Class names [negative, positive] used to interpret prediction labels. */
  classes?: [string, string];
  threshold?: number;
  gallery?: {
    max?: number; thumbnailSize?: number; imageRoot?: string;
    /** Grad-CAM overlays of the predicted class, by prediction row path: shown instead of the plain thumbnails. */
    overlays?: Record<string, { dataUri: string; width: number; height: number }>;
  };
  /** Footer text, e.g. the tool version. */
  footer?: string;
  /** Which split the metrics and the gallery are about (default 'test'): the headings and counts say it. */
  split?: 'train' | 'val' | 'test' | 'all';
  /** Images of that split that could not be read (not in the metrics), listed in the metrics section. */
  skipped?: { path: string; reason: string }[];
  /** The pos_weight the run trained with (null/absent: none): the audit then states it instead of advising one. */
  posWeight?: number | null;
  /**
   * Sections built elsewhere (a C-class evaluation's per-class table, charts and gallery: multiClassSections),
   * placed after the classification report, their html already escaped.
   */
  sections?: ReportSection[] | null;
}

/** One section of the page: its anchor id, its name in the navigation, and its finished HTML. */
export interface ReportSection {
  id: string;
  name: string;
  html: string;
}

/** A file named by an audit.json finding. */
export interface FileRef { path?: unknown; split?: unknown; label?: unknown }

/** The fields of audit.json this section reads (all optional: a missing one is simply not reported). */
export interface AuditJsonLike {
  source?: string;
  layout?: string;
  classes?: string[];
  split?: { kind?: string; seed?: number; val_fraction?: number; test_fraction?: number };
  /** Decisions taken while loading the data (one sentence each). */
  notes?: string[];
  image_size?: number;
  counts?: Record<string, Record<string, number>>;
  split_totals?: Record<string, number>;
  imbalance?: { ratio?: number | null; majority_class?: string; minority_class?: string; pos_weight?: number | null; imbalanced?: boolean };
  ignored?: {
    hidden?: number; non_image?: number; outside_class_folders?: number; examples?: string[];
    empty_folders?: string[]; output_folders?: string[];
  };
  unreadable?: Array<FileRef & { reason?: unknown }>;
  duplicates?: Array<{ sha256?: string; files?: FileRef[] }>;
  leakage?: Array<{ sha256?: string; splits?: string[]; files?: FileRef[] }>;
  conflicting_labels?: Array<{ sha256?: string; labels?: string[]; files?: FileRef[] }>;
  small_images?: { count?: number; files?: Array<{ path?: unknown; width?: unknown; height?: unknown }> };
}
