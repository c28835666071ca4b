// What a classification task decides, in one place: the head's outputs and activation, the training targets
// and loss, how probabilities become predictions, the validation scores that training monitors (accuracy and
// val_auc keep their names across tasks), and the decision thresholds chosen on validation. The trainer, the
// evaluation and prediction ask their task; none of them tests which task it is.
import type { Tensor } from '../torch/index.js';
import type { HeadActivation, TaskKind } from '../models/index.js';

/** Loss settings of a run, each resolved to numbers ('auto' already replaced by the training split's counts). */
export interface LossSettings {
  /** binary: one weight [1]; multilabel: one per label [C]; BCE's pos_weight. null: unweighted. */
  posWeight: readonly number[] | null;
  /** multiclass: one weight per class [C] for cross-entropy. null: unweighted. */
  classWeights: readonly number[] | null;
  /** multiclass: torch's label_smoothing (0: none). */
  labelSmoothing: number;
  /**
   * Binary and multilabel: torchvision's sigmoid focal loss instead of BCE; multiclass: the softmax focal loss
   * (kornia's focal_loss) instead of cross-entropy. Absent or null: BCE, cross-entropy.
   */
  focal?: FocalSettings | null;
}

/** torchvision.ops.sigmoid_focal_loss's gamma and alpha (null: no alpha weighting, torchvision's alpha < 0). */
export interface FocalSettings {
  gamma: number;
  alpha: number | null;
}

/** What a checkpoint records of a focal loss (nothing for BCE, as before it existed). */
export const focalRecord = (f: FocalSettings | null): Record<string, unknown> => (f ? { focal_loss: { gamma: f.gamma, alpha: f.alpha } } : {});

export const NO_LOSS_SETTINGS: LossSettings = { posWeight: null, classWeights: null, labelSmoothing: 0 };

/** The scores a validation pass reports (NaN where undefined, e.g. a class absent from validation). */
export interface ValidationScores {
  accuracy: number;
  auc: number;
}

/** Thresholds chosen on validation: one (binary), none (multiclass: argmax), one per label (multilabel). */
export interface ThresholdPick {
  /** The binary threshold (0.5 for the other tasks, where it is not used). */
  threshold: number;
  /** Multi-label: one per class; null otherwise. */
  thresholds: number[] | null;
  /** Why a method fell back to 0.5 (one line each). */
  warnings: string[];
  /** What the binary choice achieved on validation (recorded in the checkpoint); null otherwise. */
  achieved: Record<string, number | null> | null;
}

/** How a model decides: the binary threshold, or one threshold per label (multilabel); multiclass takes the argmax. */
export interface Decision {
  threshold: number;
  thresholds: readonly number[] | null;
  /** Conformal prediction sets (binary, multi-class): the classes with 1 − p ≤ qhat (theirs, one per class); absent or null: none. */
  conformal?: { qhat: number | readonly number[] } | null;
}

/** One image's prediction, as `tlearn predict` reports it (ARCHITECTURE.md, "predict output"). */
export type Prediction =
  /** binary: the positive class's probability, 0/1 and the predicted class name. */
  | { probability: number; predicted: 0 | 1; label: string; set?: string[] }
  /** multiclass: the most probable class (name, probability, index), every class's probability, the k best. */
  | { label: string; probability: number; predicted: number; probabilities: Record<string, number>; top_k?: { label: string; probability: number }[]; set?: string[] }
  /** multilabel: the labels at or above their thresholds, every label's probability. */
  | { labels: string[]; probabilities: Record<string, number> };

export interface Task {
  readonly kind: TaskKind;
  /** The ordered class list (binary: [negative, positive]). */
  readonly classes: readonly string[];
  /** Outputs of the head's Linear layer (binary 1, else the number of classes). */
  readonly outputs: number;
  readonly activation: HeadActivation;
  /** Numbers per image in a loader batch's labels (1: the class index; multilabel: a multi-hot row). */
  readonly labelWidth: number;
  /** The loss's targets on `device` from a batch's labels (n * labelWidth values). */
  targets(labels: Float32Array, device: string): Tensor;
  /** The loss on logits [N, outputs] (float32), with the run's loss settings. */
  loss(logits: Tensor, targets: Tensor, reduction?: 'mean' | 'sum'): Tensor;
  /**
   * The batch's part of a pass's mean loss: the batch mean times its size, as a PyTorch loop sums
   * `loss.item() * len(y)` (the mean over the pass is the sum of these over the images).
   */
  batchLossSum(logits: Tensor, targets: Tensor, n: number): number;
  /** Probabilities from logits [N, outputs]. */
  probabilities(logits: Tensor): Tensor;
  /** How many of the batch's predictions (probabilities n * outputs, at 0.5 or argmax) are right. */
  correct(probs: Float32Array, labels: Float32Array): number;
  /** Accuracy and AUC of a whole validation pass. */
  validationScores(probs: Float32Array, labels: Float32Array): ValidationScores;
  /** The decision threshold(s) by the configured method, chosen on validation probabilities. */
  pickThresholds(probs: Float32Array, labels: Float32Array, method: { method: string; value: number | null }): ThresholdPick;
  /** One image's prediction from its row of probabilities (`outputs` values); topK > 0 adds the k best (multiclass). */
  predict(probs: ArrayLike<number>, decision: Decision, topK?: number): Prediction;
  /** The loss's settings as the checkpoint's `extra` records them (binary: none; its pos_weight is recorded apart). */
  lossRecord(): Record<string, unknown>;
  /** Frees the loss weights' tensors. */
  dispose(): void;
}

/** A row-major n x k Float32Array as an array of rows (for the metrics, which take nested arrays). */
export function rowsOf(values: ArrayLike<number>, k: number): Float64Array[] {
  const n = values.length / k;
  const out: Float64Array[] = new Array(n);
  for (let i = 0; i < n; i++) out[i] = Float64Array.from({ length: k }, (_, j) => values[i * k + j]!);
  return out;
}

/** Each class's probability by name. */
export function byClass(classes: readonly string[], probs: ArrayLike<number>): Record<string, number> {
  return Object.fromEntries(classes.map((c, j) => [c, probs[j]!]));
}

/** `fn()`, or NaN when it throws (a metric undefined on this data, e.g. a class absent from validation). */
export function orNaN(fn: () => number): number {
  try {
    return fn();
  } catch {
    return NaN;
  }
}
